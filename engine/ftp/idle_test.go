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

// TestIdleMeansNothingToDo: over the lab's FTP capture and the passive
// sample, whenever Idle reports true before a segment, Data and Joins
// claim nothing and change no counter (the probe skips them then,
// ftpJoin); a tracker following sessions is not Idle, and Flush leaves it
// Idle again.
func TestIdleMeansNothingToDo(t *testing.T) {
	for _, path := range []string{filepath.Join(samplesDir(t), "lab", "ftp", "A.pcap"), samplePath(t, "ftp-passive/chrissanders_ppa1e_ftp.pcap")} {
		f, err := replay.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		tr := New(DefaultConfig())
		dis := dissect.New()
		var d dissect.Dissection
		var last int64
		idle, busy, joined := 0, 0, 0
		for {
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
			if d.SrcPort == 21 || d.DstPort == 21 {
				tr.Control(&d)
				continue
			}
			wasIdle, st := tr.Idle(), tr.Stats()
			joins := tr.Joins(&d)
			_, ok := tr.Data(&d)
			switch {
			case wasIdle && (ok || joins || tr.Stats() != st):
				t.Fatalf("%s frame %d: an Idle tracker took the segment (Data %v, Joins %v)", filepath.Base(path), m.Frame, ok, joins)
			case wasIdle:
				idle++
			default:
				busy++
				if ok {
					joined++
				}
			}
		}
		f.Close()
		tr.Flush(last, func(*observe.FTPTransfer) {}, func(*observe.FTPSession) {})
		if !tr.Idle() {
			t.Errorf("%s: not Idle after Flush", filepath.Base(path))
		}
		if busy == 0 || joined == 0 {
			t.Errorf("%s: %d segments while Idle, %d while not, %d joined: not exercised", filepath.Base(path), idle, busy, joined)
		}
	}
}
