package ftp

import (
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/replay"
)

// TestCountBusy: two trackers counting in one int (CountBusy), fed the
// FTP captures of testdata (the second missing every third segment, so
// that its peers come and go at other times), make it, after every
// segment and after each Flush, the number of them not Idle: the count a
// probe reads instead of asking each (ftpBusy).
func TestCountBusy(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.pcap")
	if err != nil || len(paths) == 0 {
		t.Fatalf("testdata: %v, %d captures", err, len(paths))
	}
	busySeen := 0
	for _, path := range paths {
		f, err := replay.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		a, b := New(DefaultConfig()), New(DefaultConfig())
		a.CountBusy(&n)
		b.CountBusy(&n)
		dis := dissect.New()
		var d dissect.Dissection
		var last int64
		feed := func(tr *Tracker) {
			if d.SrcPort == 21 || d.DstPort == 21 {
				tr.Control(&d)
			} else {
				tr.Joins(&d)
				tr.Data(&d)
			}
		}
		check := func(when string) {
			t.Helper()
			want := 0
			for _, tr := range []*Tracker{a, b} {
				if !tr.Idle() {
					want++
				}
			}
			if n != want {
				t.Fatalf("%s %s: count %d, %d trackers not Idle", filepath.Base(path), when, n, want)
			}
			if want > 0 {
				busySeen++
			}
		}
		for i := 0; ; i++ {
			data, m, err := f.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			last = m.TimeNs
			if dis.Dissect(data, m, &d) != nil || !d.Has(dissect.HasTCP) {
				continue
			}
			feed(a)
			if i%3 != 0 { // b misses some packets: its sessions start and end elsewhere
				feed(b)
			}
			check("after a segment")
		}
		f.Close()
		a.Flush(last, func(*observe.FTPTransfer) {}, func(*observe.FTPSession) {})
		check("after a's Flush")
		b.Flush(last, func(*observe.FTPTransfer) {}, func(*observe.FTPSession) {})
		check("after both Flush")
	}
	if busySeen == 0 {
		t.Error("no tracker ever followed a peer: not exercised")
	}
}
