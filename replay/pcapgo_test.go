package replay

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// TestAgainstPcapgo reads every sample with gopacket's pcapgo as an oracle
// and, for each file pcapgo reads to a clean end, checks our packets
// against its packets byte for byte: data, lengths, time and link type.
// Known, documented differences are not compared: Simple Packet Blocks
// (pcapgo: zero time.Time; we: previous packet's time) and files with
// invalid timestamps (pcapgo wraps the µs field in 32 bits).
func TestAgainstPcapgo(t *testing.T) {
	dir := filepath.Join(samplesDir(t), "pcap")
	compared := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "SOURCES.md" {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		oracle, ok := readPcapgo(t, path)
		if !ok {
			t.Logf("%s: pcapgo cannot read it to the end; not compared", rel)
			return nil
		}
		f, err := Open(path)
		if err != nil {
			t.Errorf("%s: pcapgo reads it, Open fails: %v", rel, err)
			return nil
		}
		defer f.Close()
		ours, err := readAll(t, f)
		if err != nil {
			t.Errorf("%s: pcapgo reads it, we fail: %v", rel, err)
			return nil
		}
		if f.Stats().InvalidTimestamps > 0 {
			return nil
		}
		compared++
		if len(ours) != len(oracle) {
			t.Errorf("%s: %d packets, pcapgo %d", rel, len(ours), len(oracle))
			return nil
		}
		for i := range ours {
			o, p := ours[i], oracle[i]
			if !bytes.Equal(o.data, p.data) || o.m.CapLen != p.m.CapLen || o.m.WireLen != p.m.WireLen || o.m.LinkType != p.m.LinkType {
				t.Errorf("%s: packet %d differs from pcapgo: %+v vs %+v", rel, i+1, o.m, p.m)
				return nil
			}
			if p.m.TimeNs != 0 && o.m.TimeNs != p.m.TimeNs {
				t.Errorf("%s: packet %d time %d, pcapgo %d", rel, i+1, o.m.TimeNs, p.m.TimeNs)
				return nil
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d files compared with pcapgo", compared)
	if compared < 80 {
		t.Errorf("only %d files compared with pcapgo", compared)
	}
}

// readPcapgo reads path with pcapgo; ok is false unless it reaches io.EOF.
// TimeNs is 0 for packets pcapgo gives no time (Simple Packet Blocks).
func readPcapgo(t *testing.T, path string) (out []rec, ok bool) {
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var magic [4]byte
	if _, err := io.ReadFull(fh, magic[:]); err != nil {
		return nil, false
	}
	fh.Seek(0, io.SeekStart)
	var next func() ([]byte, gopacket.CaptureInfo, error)
	var linkOf func(ci gopacket.CaptureInfo) layers.LinkType
	if bytes.Equal(magic[:], []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		r, err := pcapgo.NewNgReader(fh, pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			return nil, false
		}
		next = r.ReadPacketData
		linkOf = func(ci gopacket.CaptureInfo) layers.LinkType { return ci.AncillaryData[0].(layers.LinkType) }
	} else {
		r, err := pcapgo.NewReader(fh)
		if err != nil {
			return nil, false
		}
		next = r.ReadPacketData
		linkOf = func(gopacket.CaptureInfo) layers.LinkType { return r.LinkType() }
	}
	for {
		data, ci, err := next()
		if errors.Is(err, io.EOF) {
			return out, true
		}
		if err != nil {
			return nil, false
		}
		m := pkt.Meta{CapLen: uint32(ci.CaptureLength), WireLen: uint32(ci.Length), LinkType: pkt.LinkType(linkOf(ci))}
		if !ci.Timestamp.IsZero() {
			m.TimeNs = ci.Timestamp.UnixNano()
		}
		out = append(out, rec{data: data, m: m})
	}
}
