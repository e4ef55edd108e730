package replay

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testsamples"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// samplesDir returns testdata/ at the module root (testsamples.Dir).
func samplesDir(t testing.TB) string { return testsamples.Dir(t) }

// parseEpoch turns tshark's "seconds.nanoseconds" into Unix ns.
func parseEpoch(t testing.TB, s string) int64 {
	t.Helper()
	sec, frac, _ := strings.Cut(s, ".")
	frac = (frac + "000000000")[:9]
	a, err1 := strconv.ParseInt(sec, 10, 64)
	b, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("bad epoch %q", s)
	}
	return a*1e9 + b
}

// rec is one packet, its data copied out of the source's buffer.
type rec struct {
	data []byte
	m    pkt.Meta
}

// readAll reads src to its end; the error is nil at io.EOF, else the
// error Next returned (after which Next must return io.EOF).
func readAll(t testing.TB, src pkt.Source) ([]rec, error) {
	t.Helper()
	var out []rec
	for {
		data, m, err := src.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			if _, _, again := src.Next(); again != io.EOF {
				t.Errorf("Next after error %v returned %v, want io.EOF", err, again)
			}
			return out, err
		}
		if int(m.CapLen) != len(data) {
			t.Fatalf("frame %d: CapLen %d != len(data) %d", m.Frame, m.CapLen, len(data))
		}
		out = append(out, rec{data: bytes.Clone(data), m: m})
	}
}

// asError returns err as *Error, failing the test if it is not one.
func asError(t testing.TB, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *replay.Error", err, err)
	}
	return e
}
