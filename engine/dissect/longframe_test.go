package dissect_test

import (
	"io"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/internal/testsamples"
	"github.com/tmonbench/tmonbench/replay"
)

// TestIPLongerThanFrame: the-tcpdump-group's ipv4_invalid_total_length.pcap
// holds one 98-byte frame (captured and original length 98) whose IPv4
// total length says 85 where 84 follow the Ethernet header. tcpdump -v
// decodes it ("truncated-ip - 1 bytes missing!", then the DNS query
// 39095 > 53), tshark too, with the expert error "IPv4 total length
// exceeds packet length (84 bytes)". It is kept (not malformed), counted
// as ip_longer_than_frame and marked Truncated, and its IP length is the
// 84 bytes the frame held (the flow counted 85, a byte the wire never
// carried). The same frame cut by a 60-byte snap length with an original
// length of 99 (the wire had the 85 bytes) keeps its 85: a snap length's
// cut is not this.
func TestIPLongerThanFrame(t *testing.T) {
	src, err := replay.Open(testsamples.Path(t, "pcap", "malformed", "tcpdump_ipv4_invalid_total_length.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	data, m, err := src.Next()
	if err != nil {
		t.Fatal(err)
	}
	frame := append([]byte(nil), data...)
	if _, _, err := src.Next(); err != io.EOF {
		t.Fatalf("a second packet: %v", err)
	}
	if m.CapLen != 98 || m.WireLen != 98 {
		t.Fatalf("frame: %d of %d bytes captured, want 98 of 98", m.CapLen, m.WireLen)
	}
	d := dissect.New()
	var out dissect.Dissection
	if err := d.Dissect(frame, m, &out); err != nil {
		t.Fatal(err)
	}
	if out.IPLen != 84 || !out.Truncated || out.Flags&dissect.HasUDP == 0 || out.SrcPort != 39095 || out.DstPort != 53 {
		t.Errorf("IP length %d, truncated %v, flags %#x, ports %d>%d; want 84, true, UDP 39095>53", out.IPLen, out.Truncated, out.Flags, out.SrcPort, out.DstPort)
	}
	if d.Stats.IP != 1 || d.Stats.Malformed != 0 || d.Stats.Kinds[dissect.KindIPLongerThanFrame] != 1 {
		t.Errorf("stats: ip %d malformed %d ip_longer_than_frame %d; want 1 0 1", d.Stats.IP, d.Stats.Malformed, d.Stats.Kinds[dissect.KindIPLongerThanFrame])
	}
	cut := m
	cut.CapLen, cut.WireLen = 60, 14+85
	out = dissect.Dissection{}
	if err := d.Dissect(frame[:60], cut, &out); err != nil {
		t.Fatal(err)
	}
	if out.IPLen != 85 || !out.Truncated || d.Stats.Kinds[dissect.KindIPLongerThanFrame] != 1 {
		t.Errorf("cut by the snap length: IP length %d, truncated %v, ip_longer_than_frame %d; want 85, true, still 1", out.IPLen, out.Truncated, d.Stats.Kinds[dissect.KindIPLongerThanFrame])
	}
}
