package replay

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestFastPathSame reads random classic pcaps (µs and ns, times stepping
// back by seconds and reordered by less than StepBackNs, records over the
// snaplen, invalid fractions, a cut last record) twice, with NextInto's
// in-place path and with it off (every record through nextPcap and every
// packet through Indexer.note, the rules as written), and checks that
// both give the same packets, Meta, errors, Stats, Interfaces, Progress
// and packet index entries (every time rule, thinning included).
func TestFastPathSame(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	dir := t.TempDir()
	for c := range 30 {
		var fr []capgen.Frame
		at := capgen.Base + rng.Int64N(int64(24*time.Hour))
		for range 1 + rng.IntN(3000) {
			at += rng.Int64N(int64(30 * time.Millisecond))
			ts := at
			switch rng.IntN(40) {
			case 0:
				ts -= rng.Int64N(int64(900 * time.Millisecond)) // reordered
			case 1:
				at -= rng.Int64N(int64(5 * time.Second)) // clock set back
			}
			data := capgen.UDP{Src: capgen.AP("192.0.2.1:1000"), Dst: capgen.AP("192.0.2.2:53"), Payload: make([]byte, rng.IntN(1400))}.Frame()
			fr = append(fr, capgen.Frame{TimeNs: ts, Data: data})
		}
		nano := c%2 == 1
		b := capgen.PCAP(fr, nano)
		if c%3 == 0 {
			// snaplen 200: the longer records are over it (counted)
			b[16], b[17], b[18], b[19] = 200, 0, 0, 0
		}
		if c%5 == 0 {
			// an invalid fraction on the first record (clamped, counted)
			b[28], b[29], b[30], b[31] = 0xff, 0xff, 0xff, 0x7f
		}
		if c%4 == 0 {
			b = b[:len(b)-1-rng.IntN(20)] // the last record cut
		}
		path := filepath.Join(dir, "c.pcap")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		every, most := uint64(1+rng.IntN(50)), 2+rng.IntN(40)
		fast, fastErr := readIndexed(t, path, every, most, true)
		slow, slowErr := readIndexed(t, path, every, most, false)
		if fastErr == nil && fast.progress != int64(len(b)) {
			t.Fatalf("capture %d: progress %d of %d bytes", c, fast.progress, len(b))
		}
		if len(fast.entries) == 0 {
			t.Fatalf("capture %d: no index entry", c)
		}
		sameRead(t, fmt.Sprintf("capture %d", c), fast, slow, fastErr, slowErr)
	}
}

// TestFastPathSameNG is TestFastPathSame for pcapng (File.epb): random
// captures of several sections and interfaces with Simple Packet Blocks
// among the Enhanced ones, cut or not, and every pcapng sample of
// testdata (several sections and resolutions, an unsupported link type,
// malformed blocks).
func TestFastPathSameNG(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	dir := t.TempDir()
	var paths []string
	for c := range 20 {
		var sections [][]string
		nif := 0
		for range 1 + rng.IntN(3) {
			var names []string
			for range 1 + rng.IntN(3) {
				names = append(names, fmt.Sprintf("eth%d", nif))
				nif++
			}
			sections = append(sections, names)
		}
		var fr []capgen.Frame
		at := capgen.Base + rng.Int64N(int64(24*time.Hour))
		iface := 0
		for range 1 + rng.IntN(2000) {
			at += rng.Int64N(int64(30 * time.Millisecond))
			if rng.IntN(30) == 0 {
				at -= rng.Int64N(int64(5 * time.Second))
			}
			iface = min(nif-1, iface+rng.IntN(2)*rng.IntN(2)) // forward only, across sections
			data := capgen.UDP{Src: capgen.AP("192.0.2.1:1000"), Dst: capgen.AP("192.0.2.2:53"), Payload: make([]byte, rng.IntN(1400))}.Frame()
			first := 0 // the section's interface 0, for a Simple Packet Block
			for _, names := range sections {
				if iface < first+len(names) {
					break
				}
				first += len(names)
			}
			simple := rng.IntN(25) == 0
			if simple {
				iface = first
			}
			fr = append(fr, capgen.Frame{TimeNs: at, Data: data, Iface: iface, Simple: simple})
		}
		b := capgen.PCAPNG(sections, fr)
		if c%3 == 0 {
			b = b[:len(b)-1-rng.IntN(40)]
		}
		path := filepath.Join(dir, fmt.Sprintf("c%d.pcapng", c))
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	samples, err := filepath.Glob(filepath.Join(samplesDir(t), "*", "*", "*.pcapng"))
	if err != nil || len(samples) < 10 {
		t.Fatalf("%d pcapng samples: %v", len(samples), err)
	}
	for _, path := range append(paths, samples...) {
		if _, err := Open(path); err != nil {
			continue // refused by Open: nothing read
		}
		every, most := uint64(1+rng.IntN(50)), 2+rng.IntN(40)
		fast, fastErr := readIndexed(t, path, every, most, true)
		slow, slowErr := readIndexed(t, path, every, most, false)
		sameRead(t, path, fast, slow, fastErr, slowErr)
	}
}

// sameRead fails unless two reads of path gave the same.
func sameRead(t *testing.T, path string, fast, slow indexedRead, fastErr, slowErr error) {
	t.Helper()
	if (fastErr == nil) != (slowErr == nil) || fastErr != nil && fastErr.Error() != slowErr.Error() {
		t.Fatalf("%s: error %v, without the fast path %v", path, fastErr, slowErr)
	}
	if len(fast.pkts) != len(slow.pkts) {
		t.Fatalf("%s: %d packets, without the fast path %d", path, len(fast.pkts), len(slow.pkts))
	}
	for i := range fast.pkts {
		if fast.pkts[i].m != slow.pkts[i].m || !bytes.Equal(fast.pkts[i].data, slow.pkts[i].data) {
			t.Fatalf("%s, packet %d: %+v, without the fast path %+v", path, i+1, fast.pkts[i].m, slow.pkts[i].m)
		}
	}
	if fast.stats != slow.stats || !slices.Equal(fast.ifaces, slow.ifaces) || fast.progress != slow.progress {
		t.Fatalf("%s: stats %+v %+v progress %d; without the fast path %+v %+v %d",
			path, fast.stats, fast.ifaces, fast.progress, slow.stats, slow.ifaces, slow.progress)
	}
	if !slices.Equal(fast.entries, slow.entries) {
		t.Fatalf("%s: entries %+v, without the fast path %+v", path, fast.entries, slow.entries)
	}
}

type indexedRead struct {
	pkts     []rec
	stats    Stats
	ifaces   []Interface
	progress int64
	entries  []IndexEntry
}

// readIndexed reads path through an Indexer (entries every every packets
// and every second, at most most), with NextInto's in-place path or not.
func readIndexed(t *testing.T, path string, every uint64, most int, fast bool) (indexedRead, error) {
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ix := NewIndexer(f, "p", "if0", path, every, int64(time.Second))
	ix.maxEntries = most
	var r indexedRead
	var m pkt.Meta
	for {
		if !fast {
			f.fast, f.fastNG = false, false
		}
		data, err := f.NextInto(&m)
		if err != nil {
			r.stats, r.ifaces = f.Stats(), f.Interfaces()
			r.progress, _ = f.Progress()
			r.entries = append([]IndexEntry(nil), ix.Entries()...)
			if err.Error() == "EOF" {
				err = nil
			}
			return r, err
		}
		r.pkts = append(r.pkts, rec{append([]byte(nil), data...), m})
	}
}
