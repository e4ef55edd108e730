package replay

import (
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// The same HTTP download captured with an 802.1Q priority tag (http-vlan-0,
// 14 packets) and without (handshake-reorder, 14 packets): the timestamps
// overlap and 13 of them are equal, so order and ties are both exercised.
// Expected sequence from mergecap, which breaks ties in favour of the
// tagged file, i.e. argument order Merge(vlan, plain):
//
//	mergecap -w m.pcap tcp-options/zeek_tcp_handshake-reorder.pcap vlan/zeek_http-vlan-0.pcap
//	tshark -r m.pcap -T fields -e frame.time_epoch -e frame.len -e vlan.id
//
// (source 0 = the tagged frames, those with a vlan.id).
func TestMergeRealCaptures(t *testing.T) {
	want := []struct {
		time string
		len  uint32
		src  int
	}{
		{"1362692526.869344000", 82, 0},
		{"1362692526.939084000", 78, 0},
		{"1362692526.939084000", 74, 1},
		{"1362692526.939344000", 78, 1},
		{"1362692526.939378000", 70, 0},
		{"1362692526.939378000", 66, 1},
		{"1362692526.939527000", 206, 0},
		{"1362692526.939527000", 202, 1},
		{"1362692527.008509000", 70, 0},
		{"1362692527.008509000", 66, 1},
		{"1362692527.009512000", 1518, 0},
		{"1362692527.009512000", 1514, 1},
		{"1362692527.009721000", 1518, 0},
		{"1362692527.009721000", 1514, 1},
		{"1362692527.009765000", 1518, 0},
		{"1362692527.009765000", 1514, 1},
		{"1362692527.009775000", 733, 0},
		{"1362692527.009775000", 729, 1},
		{"1362692527.009855000", 70, 0},
		{"1362692527.009855000", 66, 1},
		{"1362692527.009887000", 70, 0},
		{"1362692527.009887000", 66, 1},
		{"1362692527.011846000", 70, 0},
		{"1362692527.011846000", 66, 1},
		{"1362692527.080828000", 70, 0},
		{"1362692527.080828000", 66, 1},
		{"1362692527.080972000", 70, 0},
		{"1362692527.080972000", 66, 1},
	}
	dir := filepath.Join(samplesDir(t), "pcap")
	vlan, err := Open(filepath.Join(dir, "vlan/zeek_http-vlan-0.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Open(filepath.Join(dir, "tcp-options/zeek_tcp_handshake-reorder.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	m := Merge(WithIface(vlan, 0), WithIface(plain, 1))
	defer m.Close()
	if m.Last() != -1 {
		t.Errorf("Last before the first packet = %d", m.Last())
	}
	for i, w := range want {
		data, meta, err := m.Next()
		if err != nil {
			t.Fatalf("packet %d: %v", i+1, err)
		}
		if meta.TimeNs != parseEpoch(t, w.time) || meta.WireLen != w.len || len(data) != int(w.len) || m.Last() != w.src || meta.Iface != uint16(w.src) {
			t.Errorf("packet %d: time %d len %d from %d iface %d, want %s %d from %d", i+1, meta.TimeNs, meta.WireLen, m.Last(), meta.Iface, w.time, w.len, w.src)
		}
		// the tagged frame carries 0x8100 at offset 12
		if tagged := data[12] == 0x81 && data[13] == 0x00; tagged != (w.src == 0) {
			t.Errorf("packet %d: data from the wrong source", i+1)
		}
	}
	if _, _, err := m.Next(); err != io.EOF || m.Last() != -1 || len(m.Errs()) != 0 {
		t.Errorf("end: %v, Last %d, Errs %v", err, m.Last(), m.Errs())
	}
}

// A truncated capture merged with a sound one: every packet of both comes
// out (25 good ones of http-fault-post, 14 of http-vlan-0), then the
// truncation error, then io.EOF.
func TestMergeKeepsGoingAfterError(t *testing.T) {
	dir := filepath.Join(samplesDir(t), "pcap")
	bad, err := Open(filepath.Join(dir, "malformed/chrissanders_ppa1e_http-fault-post.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	good, err := Open(filepath.Join(dir, "vlan/zeek_http-vlan-0.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	m := Merge(bad, good)
	defer m.Close()
	var count [2]int
	var last int64
	for {
		_, meta, err := m.Next()
		if err != nil {
			if !errors.Is(err, pkt.ErrTruncated) {
				t.Fatalf("final error %v, want ErrTruncated", err)
			}
			if e := asError(t, err); e.Frame != 26 {
				t.Errorf("error frame %d, want 26", e.Frame)
			}
			break
		}
		if meta.TimeNs < last {
			t.Errorf("time goes back at %d", meta.TimeNs)
		}
		last = meta.TimeNs
		count[m.Last()]++
	}
	if count != [2]int{25, 14} {
		t.Errorf("packets per source %v, want [25 14]", count)
	}
	if errs := m.Errs(); len(errs) != 1 || !errors.Is(errs[0], pkt.ErrTruncated) {
		t.Errorf("Errs = %v", errs)
	}
	if _, _, err := m.Next(); err != io.EOF {
		t.Errorf("after the error: %v, want io.EOF", err)
	}
}

// WithIface adds its base to each interface of a multi-interface pcapng.
func TestWithIfacePcapng(t *testing.T) {
	f, err := Open(filepath.Join(samplesDir(t), "edge", "17-pcapng-sections-tsresol", "input.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	src := WithIface(f, 3)
	defer src.Close()
	recs, err := readAll(t, src)
	if err != nil || len(recs) != 4 {
		t.Fatal(len(recs), err)
	}
	for i, r := range recs {
		if r.m.Iface != uint16(3+i) {
			t.Errorf("packet %d: Iface %d, want %d", i+1, r.m.Iface, 3+i)
		}
	}
}
