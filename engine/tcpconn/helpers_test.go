package tcpconn

import (
	"errors"
	"io"
	"math"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testsamples"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/replay"
)

// samplesDir returns testdata/ at the module root (testsamples.Dir).
func samplesDir(t testing.TB) string { return testsamples.Dir(t) }

// readDissections decodes every packet of a capture (data copied so the
// dissections stay valid).
func readDissections(t testing.TB, path string) []dissect.Dissection {
	t.Helper()
	src, err := replay.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer src.Close()
	dis := dissect.New()
	var out []dissect.Dissection
	for {
		data, m, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		buf := append([]byte(nil), data...)
		var d dissect.Dissection
		_ = dis.Dissect(buf, m, &d) // undecodable packets are data: skipped by Packet
		out = append(out, d)
	}
	return out
}

// run feeds the dissections to a new Tracker, expiring every 100 ms of
// capture time as a probe would, and returns the rows in emission order.
func run(t testing.TB, cfg Config, ds []dissect.Dissection, boundaryOnly bool) ([]observe.TCPConnection, *Tracker) {
	t.Helper()
	return runHinted(cfg, ds, boundaryOnly, nil)
}

// runHinted is run with PacketHint when hintOf is set: it picks the hint
// a packet's flow record keeps.
func runHinted(cfg Config, ds []dissect.Dissection, boundaryOnly bool, hintOf func(d *dissect.Dissection) *Hint) ([]observe.TCPConnection, *Tracker) {
	tr := New(cfg)
	var rows []observe.TCPConnection
	emit := func(iface uint16, r *observe.TCPConnection) { rows = append(rows, *r) }
	var last int64
	for i := range ds {
		d := &ds[i]
		if d.Meta.TimeNs-last > 100e6 {
			tr.Expire(d.Meta.TimeNs, emit)
			last = d.Meta.TimeNs
		}
		if hintOf != nil {
			tr.PacketHint(d, "test", boundaryOnly, hintOf(d))
		} else {
			tr.Packet(d, "test", boundaryOnly)
		}
	}
	end := int64(0)
	if len(ds) > 0 {
		end = ds[len(ds)-1].Meta.TimeNs
	}
	tr.Flush(end, emit)
	return rows, tr
}

func runFile(t testing.TB, rel string) []observe.TCPConnection {
	t.Helper()
	rows, _ := run(t, DefaultConfig(), readDissections(t, filepath.Join(samplesDir(t), rel)), false)
	return rows
}

// msEq reports whether an optional ms value equals want microseconds
// within tolUs.
func msEq(got *float64, wantUs, tolUs float64) bool {
	return got != nil && math.Abs(*got*1000-wantUs) <= tolUs
}

func fmtMs(v *float64) any {
	if v == nil {
		return "NULL"
	}
	return *v
}
