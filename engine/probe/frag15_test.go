package probe_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/internal/capgen"
	"github.com/tmonbench/tmonbench/replay"
)

// -update rewrites the generated captures (capgen.Golden reads the flag by name).
var _ = flag.Bool("update", false, "rewrite the generated captures under testdata/")

// Captures of issue 15 (fragments), generated here and committed under
// testdata/ (capgen.Golden; go test -update rewrites them).

// runFrames writes frames as testdata/name and runs one probe over it.
func runFrames(t *testing.T, yaml, name string, frames []capgen.Frame) *observe.Batch {
	t.Helper()
	path, err := filepath.Abs(capgen.Golden(t, "testdata/"+name, capgen.PCAP(frames, true)))
	if err != nil {
		t.Fatal(err)
	}
	return runPath(t, yaml, path)
}

// runPath runs one probe over the capture at path with the config yaml.
func runPath(t testing.TB, yaml, path string) *observe.Batch {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := replay.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: f}}, pipeline.Options{
		Config: cfg, Probes: []probe.Identity{{Name: "p"}}, Sender: pdu.DefaultSenderConfig(),
		Merge: func(s ...pkt.Source) pipeline.Merged { return replay.Merge(s...) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return res.Batch
}

// metric returns n and sum of a metric over a flow's intervals.
func metric(b *observe.Batch, flowID uint64, name string) (n uint64, sum float64) {
	for _, c := range b.FlowCounters {
		if c.FlowID == flowID && c.Metric == name {
			n += c.N
			sum += c.Sum
		}
	}
	return n, sum
}

func eventsOf(b *observe.Batch, kind string) []observe.Event {
	var out []observe.Event
	for _, e := range b.Events {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// frameAt places each frame 0.1 ms after the previous one, from ms.
func framesAt(ms float64, datas ...[]byte) []capgen.Frame {
	var out []capgen.Frame
	for i, d := range datas {
		out = append(out, capgen.Frame{TimeNs: capgen.Ms(ms + float64(i)*0.1), Data: d})
	}
	return out
}

func payload(n int) []byte { return bytes.Repeat([]byte{0x5a}, n) }

// flowByPorts returns the class "all" flow with these ports, or nil.
func flowByPorts(b *observe.Batch, sport, dport uint16) *observe.Flow {
	for i, f := range b.Flows {
		if f.Class == "all" && f.SrcPort == sport && f.DstPort == dport {
			return &b.Flows[i]
		}
	}
	return nil
}

// TestFragmentPayloadOnce (issue 15.8; tcpdump#602: the first fragment's
// UDP length announces the whole datagram): l4_payload_bytes counts each
// byte of a datagram once. A 4600-byte UDP payload over IPv4 in 1480-byte
// fragments (4 fragments), a 3000-byte UDP payload over IPv6 in 1232-byte
// fragments (3) and a 3000-byte TCP payload over IPv4 (3): sums 4600, 3000
// and 3000 (seen before: 7776 = 4600 + 3176 for the first), one value per
// fragment, and one ip_reassembled per datagram (issue 15.15). tshark -r
// testdata/frag-payload.pcap -o ip.defragment:TRUE -o
// ipv6.defragment:TRUE -T fields -e udp.length -e tcp.len: 4608, 3008 and
// 3000 on the reassembled frames.
func TestFragmentPayloadOnce(t *testing.T) {
	u4 := capgen.UDP{Src: capgen.AP("192.0.2.1:40000"), Dst: capgen.AP("198.51.100.2:5353"), IPID: 0x1111, Payload: payload(4600)}.Frame()
	u6 := capgen.UDP{Src: capgen.AP("[2001:db8::1]:40001"), Dst: capgen.AP("[2001:db8::2]:5353"), Payload: payload(3000)}.Frame()
	t4 := capgen.TCP{Src: capgen.AP("192.0.2.1:40002"), Dst: capgen.AP("198.51.100.2:8080"), Flags: "PA", Seq: 1, Ack: 1, Win: 1000, IPID: 0x2222, Payload: payload(3000)}.Seg()
	var datas [][]byte
	datas = append(datas, capgen.Fragment4(u4, 1480)...)
	datas = append(datas, capgen.Fragment6(u6, 1232, 0x33333333)...)
	datas = append(datas, capgen.Fragment4(t4, 1480)...)
	if len(datas) != 10 {
		t.Fatalf("%d fragments built, want 10", len(datas))
	}
	b := runFrames(t, "", "frag-payload.pcap", framesAt(0, datas...))
	for _, c := range []struct {
		sport, dport uint16
		frags        uint64
		bytes        float64
	}{{40000, 5353, 4, 4600}, {40001, 5353, 3, 3000}, {40002, 8080, 3, 3000}} {
		f := flowByPorts(b, c.sport, c.dport)
		if f == nil {
			t.Errorf("no flow %d>%d", c.sport, c.dport)
			continue
		}
		n, sum := metric(b, f.FlowID, "l4_payload_bytes")
		re, _ := metric(b, f.FlowID, "ip_reassembled")
		nf, _ := metric(b, f.FlowID, "ip_fragments")
		if sum != c.bytes || n != c.frags || re != 1 || nf != c.frags || f.Packets != c.frags {
			t.Errorf("flow %d>%d: l4_payload_bytes n %d sum %v, ip_reassembled %d, ip_fragments %d, packets %d; want %d %v 1 %d %d",
				c.sport, c.dport, n, sum, re, nf, f.Packets, c.frags, c.bytes, c.frags, c.frags)
		}
		if tn, _ := metric(b, f.FlowID, "tcp_zero_window"); tn != 0 {
			t.Errorf("flow %d>%d: %d tcp_zero_window from fragments without a TCP header", c.sport, c.dport, tn)
		}
	}
}

// TestEarlyFragments (issue 15.9, gopacket#266): fragments captured before
// their first fragment (here the datagram's 4 fragments in reverse order,
// as Linux sends them) count in the datagram's flow, with its ports, in
// the classes the first fragment gives (svc: "udp port 5353" cannot match
// a fragment without its UDP header): no port-less flow. A datagram whose
// first fragment never comes keeps its fragments in the port-less flow of
// its IP header and counts one ip_reassembly_failures there. The flow's
// first_seen is its earliest fragment's capture time.
func TestEarlyFragments(t *testing.T) {
	const cfg = `
classes:
  - name: svc
    filter: "udp port 5353"
    analyses: [counters]
`
	u := capgen.UDP{Src: capgen.AP("192.0.2.1:40000"), Dst: capgen.AP("198.51.100.2:5353"), IPID: 0x4444, Payload: payload(4600)}.Frame()
	fr := capgen.Fragment4(u, 1480)
	lost := capgen.UDP{Src: capgen.AP("192.0.2.1:40001"), Dst: capgen.AP("198.51.100.2:5353"), IPID: 0x5555, Payload: payload(3000)}.Frame()
	lf := capgen.Fragment4(lost, 1480)
	datas := [][]byte{fr[3], fr[2], fr[1], fr[0], lf[1], lf[2]} // reversed; the second datagram's first fragment lost
	b := runFrames(t, cfg, "frag-early.pcap", framesAt(0, datas...))
	f := flowByPorts(b, 40000, 5353)
	if f == nil || f.Packets != 4 {
		t.Fatalf("flow 40000>5353: %+v, want 4 packets", f)
	}
	if _, sum := metric(b, f.FlowID, "l4_payload_bytes"); sum != 4600 {
		t.Errorf("l4_payload_bytes %v, want 4600", sum)
	}
	// The flow starts with its earliest fragment (frame 1, 0 ms), not its
	// first fragment (frame 4, 0.3 ms); it ends with the first fragment.
	if f.FirstSeen != capgen.Ms(0) || f.LastSeen != capgen.Ms(0.3) {
		t.Errorf("flow 40000>5353 first_seen %d last_seen %d, want %d %d", f.FirstSeen, f.LastSeen, capgen.Ms(0), capgen.Ms(0.3))
	}
	var svc, portless []observe.Flow
	for _, x := range b.Flows {
		switch {
		case x.Class == "svc":
			svc = append(svc, x)
		case x.Class == "all" && x.SrcPort == 0:
			portless = append(portless, x)
		}
	}
	if len(svc) != 1 || svc[0].Packets != 4 {
		t.Errorf("class svc: %+v, want one flow of 4 packets", svc)
	} else if svc[0].FirstSeen != capgen.Ms(0) {
		t.Errorf("class svc first_seen %d, want %d", svc[0].FirstSeen, capgen.Ms(0))
	}
	if len(portless) != 1 || portless[0].Packets != 2 {
		t.Fatalf("port-less flows %+v, want one of 2 packets (the datagram without its first fragment)", portless)
	}
	if n, _ := metric(b, portless[0].FlowID, "ip_reassembly_failures"); n != 1 {
		t.Errorf("ip_reassembly_failures %d, want 1", n)
	}
}

// TestOversizeFragment (issue 15.10, zeek#5911; RFC 791 §3.1: 65535 bytes
// at most): an ICMP echo whose last fragment, at offset 65528, would make
// the datagram 65564 bytes (the "ping of death") is reported at once as an
// ip_reassembly_oversize event and counted as ip_reassembly_oversize in
// its flow, never as incomplete ("last fragment not seen").
func TestOversizeFragment(t *testing.T) {
	e := capgen.ICMPEcho{Src: capgen.AP("192.0.2.1:0").Addr(), Dst: capgen.AP("198.51.100.2:0").Addr(), ID: 7, Seq: 1, Payload: payload(1472)}.Frame()
	datas := [][]byte{capgen.Fragment4At(e, 0, 1480, true), capgen.Fragment4At(e, 65528, 16, false)}
	b := runFrames(t, "", "frag-oversize.pcap", framesAt(0, datas...))
	ev := eventsOf(b, "ip_reassembly_oversize")
	if len(ev) != 1 || !strings.Contains(ev[0].Message, "frame 2") || !strings.Contains(ev[0].Message, "65544") {
		t.Errorf("oversize events %+v, want one naming frame 2 and 65544 payload bytes", ev)
	}
	if n := len(eventsOf(b, "ip_reassembly_incomplete")); n != 0 {
		t.Errorf("%d ip_reassembly_incomplete events, want 0", n)
	}
	var icmp *observe.Flow
	for i, f := range b.Flows {
		if f.Class == "all" && f.Protocol == 1 {
			icmp = &b.Flows[i]
		}
	}
	if icmp == nil {
		t.Fatal("no ICMP flow")
	}
	if n, _ := metric(b, icmp.FlowID, "ip_reassembly_oversize"); n != 1 {
		t.Errorf("ip_reassembly_oversize %d, want 1", n)
	}
	if n, _ := metric(b, icmp.FlowID, "ip_reassembly_failures"); n != 0 {
		t.Errorf("ip_reassembly_failures %d, want 0", n)
	}
}

// TestOversizeUDPPayload: the first fragment of a UDP datagram beyond
// 65535 bytes (ping of death over UDP, zeek#5911) announces a UDP length
// that wrapped modulo 2^16 (a last fragment at offset 65528 with 16 bytes
// makes 65544 bytes of UDP datagram, written 8); its l4_payload_bytes are
// still the 1472 bytes it carries (its IP payload minus the UDP header, as
// for every first fragment: tcpdump#602; tcpdump -v prints "length 1500"
// for that fragment's IP packet), so the flow sums 1472 + 16. It counted 0
// (the wrapped length minus 8).
func TestOversizeUDPPayload(t *testing.T) {
	u := capgen.UDP{Src: capgen.AP("192.0.2.1:40020"), Dst: capgen.AP("198.51.100.2:5353"), IPID: 0x7777, Payload: payload(1472)}.Frame()
	binary.BigEndian.PutUint16(u[14+20+4:], uint16((65528+16)&0xffff)) // 65544 wrapped: 8
	datas := [][]byte{capgen.Fragment4At(u, 0, 1480, true), capgen.Fragment4At(u, 65528, 16, false)}
	b := runFrames(t, "", "frag-oversize-udp.pcap", framesAt(0, datas...))
	f := flowByPorts(b, 40020, 5353)
	if f == nil {
		t.Fatal("no flow 40020>5353")
	}
	if n, sum := metric(b, f.FlowID, "l4_payload_bytes"); n != 2 || sum != 1472+16 {
		t.Errorf("l4_payload_bytes n %d sum %v, want 2 and %d", n, sum, 1472+16)
	}
	if n, _ := metric(b, f.FlowID, "ip_reassembly_oversize"); n != 1 {
		t.Errorf("ip_reassembly_oversize %d, want 1", n)
	}
}

// TestDuplicateOverlappingFragments (issue 15.10): a duplicated fragment
// and an overlapping one are counted in their datagram's flow
// (ip_fragment_duplicates, ip_fragment_overlaps). Overlap policy: IPv4
// keeps the first data received for every byte and reassembles
// (ip_reassembled 1); IPv6 discards the datagram (RFC 5722): one
// ip_reassembly_failures and an incomplete event saying "overlap".
func TestDuplicateOverlappingFragments(t *testing.T) {
	u4 := capgen.UDP{Src: capgen.AP("192.0.2.1:40010"), Dst: capgen.AP("198.51.100.2:5353"), IPID: 0x6666, Payload: payload(3000)}.Frame()
	f4 := capgen.Fragment4(u4, 1480)
	u6 := capgen.UDP{Src: capgen.AP("[2001:db8::1]:40011"), Dst: capgen.AP("[2001:db8::2]:5353"), Payload: payload(2000)}.Frame()
	f6 := capgen.Fragment6(u6, 1232, 0x77777777)
	o6 := capgen.Fragment6(u6, 1224, 0x77777777) // second fragment starts at 1224: overlaps the first
	datas := [][]byte{
		f4[0], f4[1], f4[1], // duplicate
		capgen.Fragment4At(u4, 1472, 16, true), // overlaps both
		f4[2],
		f6[0], o6[1],
	}
	b := runFrames(t, "", "frag-dup-overlap.pcap", framesAt(0, datas...))
	for _, c := range []struct {
		sport                     uint16
		dups, overlaps, re, fails uint64
	}{{40010, 1, 1, 1, 0}, {40011, 0, 1, 0, 1}} {
		f := flowByPorts(b, c.sport, 5353)
		if f == nil {
			t.Fatalf("no flow %d>5353", c.sport)
		}
		d, _ := metric(b, f.FlowID, "ip_fragment_duplicates")
		o, _ := metric(b, f.FlowID, "ip_fragment_overlaps")
		re, _ := metric(b, f.FlowID, "ip_reassembled")
		fa, _ := metric(b, f.FlowID, "ip_reassembly_failures")
		if d != c.dups || o != c.overlaps || re != c.re || fa != c.fails {
			t.Errorf("flow %d: duplicates %d overlaps %d reassembled %d failures %d; want %d %d %d %d",
				c.sport, d, o, re, fa, c.dups, c.overlaps, c.re, c.fails)
		}
	}
	ev := eventsOf(b, "ip_reassembly_incomplete")
	if len(ev) != 1 || !strings.Contains(ev[0].Message, "overlap") {
		t.Errorf("incomplete events %+v, want one saying overlap", ev)
	}
}

// dnsMsg builds a DNS message: a query for name (type A), or its response
// with n A records (padding it to a large, fragmented datagram).
func dnsMsg(t *testing.T, id uint16, name string, answers int) []byte {
	t.Helper()
	m := &layers.DNS{ID: id, RD: true, Questions: []layers.DNSQuestion{{Name: []byte(name), Type: layers.DNSTypeA, Class: layers.DNSClassIN}}}
	if answers > 0 {
		m.QR, m.RA = true, true
		for i := range answers {
			m.Answers = append(m.Answers, layers.DNSResourceRecord{Name: []byte(name), Type: layers.DNSTypeA, Class: layers.DNSClassIN,
				TTL: 60, IP: net.IPv4(192, 0, 2, byte(i))})
		}
	}
	buf := gopacket.NewSerializeBuffer()
	if err := m.SerializeTo(buf, gopacket.SerializeOptions{FixLengths: true}); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// TestDNSBehindExtensionHeaders (issue 15.14): the default config's dns
// class ("udp port 53 or tcp port 53", upper_layer: true) sees a DNS query
// over IPv6 behind a Hop-by-Hop Options header and a DNS response
// fragmented over IPv6 (its first fragment has a Fragment header) and over
// IPv4, and times all three exchanges (rtt kind dns). tcpdump -r
// testdata/dns-ext-headers.pcap 'udp port 53' matches only the IPv4 query
// and the IPv4 first fragment (frames 5 and 6): a class without
// upper_layer keeps exactly that (tcpdump's semantics for user filters).
func TestDNSBehindExtensionHeaders(t *testing.T) {
	c6, s6 := capgen.AP("[2001:db8::10]:33333"), capgen.AP("[2001:db8::53]:53")
	c4, s4 := capgen.AP("192.0.2.10:33334"), capgen.AP("198.51.100.53:53")
	var datas [][]byte
	datas = append(datas, capgen.UDP{Src: c6, Dst: s6, HopByHop: true, Payload: dnsMsg(t, 1, "hbh.example.org", 0)}.Frame())
	datas = append(datas, capgen.UDP{Src: s6, Dst: c6, HopByHop: true, Payload: dnsMsg(t, 1, "hbh.example.org", 1)}.Frame())
	datas = append(datas, capgen.UDP{Src: c6, Dst: s6, Payload: dnsMsg(t, 2, "big.example.org", 0)}.Frame())
	datas = append(datas, capgen.Fragment6(capgen.UDP{Src: s6, Dst: c6, Payload: dnsMsg(t, 2, "big.example.org", 100)}.Frame(), 1232, 0x0a0b0c0d)...)
	datas = append(datas, capgen.UDP{Src: c4, Dst: s4, IPID: 1, Payload: dnsMsg(t, 3, "big4.example.org", 0)}.Frame())
	datas = append(datas, capgen.Fragment4(capgen.UDP{Src: s4, Dst: c4, IPID: 2, Payload: dnsMsg(t, 3, "big4.example.org", 100)}.Frame(), 1480)...)
	const cfg = `
classes:
  - name: tcpdump53
    filter: "udp port 53"
    analyses: [counters]
`
	b := runFrames(t, string(config.DefaultYAML()), "dns-ext-headers.pcap", framesAt(0, datas...))
	var dnsPkts uint64
	for _, f := range b.Flows {
		if f.Class == "dns" {
			dnsPkts += f.Packets
		}
	}
	if dnsPkts != uint64(len(datas)) {
		t.Errorf("class dns: %d packets, want all %d", dnsPkts, len(datas))
	}
	var samples []string
	for _, s := range b.RTTSamples {
		if s.Kind == "dns" {
			samples = append(samples, s.Detail)
		}
	}
	if len(samples) != 3 {
		t.Errorf("dns samples %q, want 3", samples)
	}
	b = runFrames(t, cfg, "dns-ext-headers.pcap", framesAt(0, datas...))
	var plain uint64
	for _, f := range b.Flows {
		if f.Class == "tcpdump53" {
			plain += f.Packets
		}
	}
	// tcpdump: frames 3, 7 and 8; 9 and 10 follow their first fragment
	if want := uint64(5); plain != want {
		t.Errorf("class tcpdump53: %d packets, want %d", plain, want)
	}
}

// TestIPIDReuseEarlyFragment: a datagram reusing the IP identifier of one
// reassembled a second before (same addresses and protocol, other ports)
// whose last fragment comes first (Linux's order, gopacket#266) is a new
// datagram (RFC 791 §3.2: the reassembly buffer of the first was released
// when it completed): its last fragment counts in its own flow, 2222>53,
// once its first fragment comes. It counted in the first datagram's flow
// (1111>53: 3 packets, 2222>53: 1). A late duplicate of a reassembled
// datagram's last fragment (3333>53) still counts in that datagram's flow.
func TestIPIDReuseEarlyFragment(t *testing.T) {
	udp := func(sport uint16, id uint16) []byte {
		return capgen.UDP{Src: netip.AddrPortFrom(capgen.AP("192.0.2.1:0").Addr(), sport), Dst: capgen.AP("198.51.100.2:53"), IPID: id, Payload: payload(40)}.Frame()
	}
	a := capgen.Fragment4(udp(1111, 7), 24)
	b := capgen.Fragment4(udp(2222, 7), 24)
	c := capgen.Fragment4(udp(3333, 8), 24)
	frames := append(framesAt(0, a...), framesAt(1000, b[1], b[0])...)
	frames = append(frames, framesAt(2000, c[0], c[1], c[1])...)
	b2 := runFrames(t, "", "frag-id-reuse.pcap", frames)
	for _, w := range []struct {
		sport   uint16
		packets uint64
	}{{1111, 2}, {2222, 2}, {3333, 3}} {
		f := flowByPorts(b2, w.sport, 53)
		if f == nil {
			t.Errorf("no flow %d>53", w.sport)
			continue
		}
		re, _ := metric(b2, f.FlowID, "ip_reassembled")
		if f.Packets != w.packets || re != 1 {
			t.Errorf("flow %d>53: %d packets, ip_reassembled %d; want %d and 1", w.sport, f.Packets, re, w.packets)
		}
	}
}
