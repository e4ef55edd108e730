package replay

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// FuzzOpen reads arbitrary bytes as a capture. It must never panic nor
// hang, every error must be an *Error of the documented kinds, and the
// packets must be consistent (CapLen = len(data), frames increasing).
// Seeds: every sample of 4 KiB or less, the edge captures, synthetic
// pcapng mixtures and a gzip one. Crashers go to testdata/fuzz/FuzzOpen.
//
//	go test ./replay -run '^$' -fuzz FuzzOpen -fuzztime 60s -parallel 1
func FuzzOpen(f *testing.F) {
	dir := samplesDir(f)
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(path); ext != ".pcap" && ext != ".pcapng" {
			return nil
		}
		if fi, err := d.Info(); err == nil && fi.Size() <= 4096 {
			b, _ := os.ReadFile(path)
			f.Add(b)
		}
		return nil
	})
	mix := cat(ngSHB(le), ngIDB(le, 1, 64, ngOpt(le, optTsResol, []byte{0x94}), ngOpt(le, optTsOffset, le.AppendUint64(nil, 5))),
		ngIDB(le, 147, 0), ngEPB(le, 0, 1<<40, 60, frame(1, 60)), ngEPB(le, 1, 2, 4, frame(2, 4)),
		ngSPB(le, 100, frame(3, 100)), ngOPB(le, 0, 3, 8, frame(4, 8)), ngSHB(be), ngIDB(be, 276, 0), ngEPB(be, 0, 4, 20, frame(5, 20)))
	f.Add(mix)
	f.Add(gz(f, mix))
	f.Add(cat(pcapHeader(be, true, 2, 2, 0, 113), pcapRecord(be, 1, 2_000_000_000, 10, frame(1, 20))))
	f.Fuzz(func(t *testing.T, in []byte) {
		src, err := NewReader(bytes.NewReader(in), "fuzz", int64(len(in)))
		if err != nil {
			checkFuzzErr(t, err, ErrNotCapture, ErrUnsupportedVersion, ErrUnsupportedLinkType, pkt.ErrTruncated, pkt.ErrMalformed)
			return
		}
		var frame uint64
		for i := 0; ; i++ {
			data, m, err := src.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				checkFuzzErr(t, err, ErrUnsupportedVersion, pkt.ErrTruncated, pkt.ErrMalformed)
				if _, _, err := src.Next(); err != io.EOF {
					t.Fatalf("Next after an error = %v", err)
				}
				break
			}
			if int(m.CapLen) != len(data) || m.Frame <= frame || !m.LinkType.Supported() {
				t.Fatalf("bad packet %+v (len %d) after frame %d", m, len(data), frame)
			}
			frame = m.Frame
			if i > len(in) { // each packet record takes at least 12 bytes
				t.Fatal("more packets than input bytes")
			}
		}
		st := src.Stats()
		if st.Packets+st.SkippedUnsupported != st.Records {
			t.Fatalf("stats %+v", st)
		}
	})
}

func checkFuzzErr(t *testing.T, err error, kinds ...error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *Error", err, err)
	}
	for _, k := range kinds {
		if errors.Is(err, k) {
			return
		}
	}
	t.Fatalf("error %v is none of %v", err, kinds)
}
