package probe_test

import (
	"net/netip"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// flowNamed returns the flow of class with that readable name, or nil.
func flowNamed(b *observe.Batch, class, name string) *observe.Flow {
	for i, f := range b.Flows {
		if f.Class == class && f.Name == name {
			return &b.Flows[i]
		}
	}
	return nil
}

// TestFragmentsVLANDSCPFlows: in a class split by vlan and dscp, the
// per-datagram counts and the analyses of a reassembled datagram land in
// the flow its fragments count in. A DNS query and its 2593-byte response
// in two IPv4 fragments (DSCP 46, VLAN 100), then a lone first fragment
// of another datagram (its second never comes), and a first fragment
// captured twice. Before, the datagram's flow was looked up without its
// VLAN and DSCP (and the reassembled datagram, dissected without its link
// header, without its VLAN): ip_reassembled, ip_reassembly_failures and
// ip_fragment_duplicates went nowhere, and the response was unanswered (no
// rtt sample, rtt_unanswered_dns 1). tshark -r
// testdata/frag-vlan-dscp.pcap -o ip.defragment:TRUE -T fields -e vlan.id
// -e ip.dsfield.dscp -e dns.time: 100 46 0.0002 on frame 3 (the
// reassembled response), vlan 100 dscp 46 on every fragment.
func TestFragmentsVLANDSCPFlows(t *testing.T) {
	q := capgen.UDP{Src: capgen.AP("192.0.2.30:5555"), Dst: capgen.AP("198.51.100.53:53"), Payload: dnsMsg(t, 7, "big.example.org", 0)}.Frame()
	r := capgen.UDP{Src: capgen.AP("198.51.100.53:53"), Dst: capgen.AP("192.0.2.30:5555"), IPID: 42,
		Payload: append(dnsMsg(t, 7, "big.example.org", 1), payload(2500)...)}.Frame()
	lost := capgen.UDP{Src: capgen.AP("198.51.100.53:53"), Dst: capgen.AP("192.0.2.30:5555"), IPID: 43, Payload: payload(2000)}.Frame()
	dup := capgen.UDP{Src: capgen.AP("198.51.100.53:53"), Dst: capgen.AP("192.0.2.30:5555"), IPID: 44, Payload: payload(2000)}.Frame()
	var datas [][]byte
	datas = append(datas, capgen.VLAN(q, 100))
	for _, d := range [][]byte{r, lost, dup} {
		d[15] = 46 << 2 // DSCP EF (RFC 3246)
	}
	fr := capgen.Fragment4(r, 1480)
	fl := capgen.Fragment4(lost, 1480)
	fd := capgen.Fragment4(dup, 1480)
	for _, f := range [][]byte{fr[0], fr[1], fl[0], fd[0], fd[0], fd[1]} {
		datas = append(datas, capgen.VLAN(f, 100))
	}
	yaml := `interval_s: 60
classes:
  - name: v
    granularity: [vlan, dscp, protocol, src_addr, dst_addr, src_port, dst_port]
    analyses: [counters, rtt]
    rtt:
      kinds: [dns]
`
	b := runFrames(t, yaml, "frag-vlan-dscp.pcap", framesAt(0, datas...))
	f := flowNamed(b, "v", "198.51.100.53:53>192.0.2.30:5555/udp dscp 46 vlan 100")
	if f == nil {
		t.Fatalf("no flow of the response in class v: %+v", b.Flows)
	}
	for _, c := range []struct {
		metric string
		want   uint64
	}{
		{"packets", 6}, // every fragment: 2 + 1 + 3
		{"ip_reassembled", 2},
		{"ip_reassembly_failures", 1},
		{"ip_fragment_duplicates", 1},
	} {
		if n, _ := metric(b, f.FlowID, c.metric); n != c.want {
			t.Errorf("%s = %d, want %d", c.metric, n, c.want)
		}
	}
	qf := flowNamed(b, "v", "192.0.2.30:5555>198.51.100.53:53/udp dscp 0 vlan 100")
	if qf == nil {
		t.Fatalf("no flow of the query in class v: %+v", b.Flows)
	}
	if n, _ := metric(b, qf.FlowID, "rtt_unanswered_dns"); n != 0 {
		t.Errorf("rtt_unanswered_dns = %d, want 0: the reassembled response answers the query", n)
	}
	if len(b.RTTSamples) != 1 || b.RTTSamples[0].FlowID != qf.FlowID || b.RTTSamples[0].RTTMs != 0.2 {
		t.Errorf("rtt samples %+v, want one of 0.2 ms (the last fragment's time, tshark's dns.time) in flow %d", b.RTTSamples, qf.FlowID)
	}
}

// TestLostFirstFragmentInterval documents where the held fragments of a
// datagram whose first fragment never comes are counted (frag.go, README
// "Definitions worth knowing"): port-less, when the datagram times out
// (reassembly.timeout_s, 30 s, after the fragment), so in the interval
// then current. The last fragment of a UDP datagram at Base+30 s (in the
// interval [Base-20 s, Base+40 s) of 60 s epoch-aligned intervals), then a
// packet every 10 s to Base+75 s: its flow's first_seen is Base+30 s (its
// capture time, tshark frame.time_epoch 1700000030) and its packet counts
// in the interval starting at Base+40 s, with the reassembly failure.
func TestLostFirstFragmentInterval(t *testing.T) {
	last := capgen.Fragment4(capgen.UDP{Src: capgen.AP("192.0.2.8:1008"), Dst: capgen.AP("198.51.100.8:2008"), IPID: 901, Payload: payload(2000)}.Frame(), 1480)[1]
	fr := []capgen.Frame{{TimeNs: capgen.Base + 30e9, Data: last}}
	for s := int64(35); s <= 80; s += 10 {
		fr = append(fr, capgen.Frame{TimeNs: capgen.Base + s*1e9, Data: capgen.UDP{Src: capgen.AP("192.0.2.9:1009"), Dst: capgen.AP("198.51.100.9:2009"), Payload: payload(20)}.Frame()})
	}
	b := runFrames(t, "interval_s: 60\n", "frag-lost-first.pcap", fr)
	f := flowNamed(b, "all", "192.0.2.8:0>198.51.100.8:0/udp")
	if f == nil {
		t.Fatalf("no port-less flow of the lost-first datagram: %+v", b.Flows)
	}
	if f.FirstSeen != capgen.Base+30e9 || f.Packets != 1 || f.Bytes != 548 {
		t.Errorf("flow first_seen %d packets %d bytes %d, want %d, 1, 548 (20 + 528)", f.FirstSeen, f.Packets, f.Bytes, capgen.Base+30e9)
	}
	for _, c := range b.FlowCounters {
		if c.FlowID == f.FlowID && (c.Metric == "packets" || c.Metric == "ip_reassembly_failures") && c.IntervalStart != capgen.Base+40e9 {
			t.Errorf("%s counted in the interval starting %d, want %d (when the datagram timed out)", c.Metric, c.IntervalStart, capgen.Base+40e9)
		}
	}
}

// TestMirroredFragments: a capture port mirroring a datagram twice (each
// fragment seen again, one hop later: TTL 63) reassembles it once, and the
// copies are duplicates, not a failure. Three fragments of a 2992-byte
// UDP payload, each followed by its copy: the copy of the last fragment
// comes after the datagram was reassembled. tshark -2 -r
// testdata/frag-mirrored.pcap -o ip.defragment:TRUE -T fields -e ip.ttl
// -e ip.reassembled_in: frames 1 to 4 reassembled in frame 5, which
// completes the datagram; frame 6 (the last copy) in none.
// Before, the copy of the last fragment started a datagram that never
// completed: ip_reassembly_failures 1 and an ip_reassembly_incomplete
// event for a datagram that was delivered (engine/reasm done.go).
func TestMirroredFragments(t *testing.T) {
	u := capgen.UDP{Src: capgen.AP("192.0.2.40:800"), Dst: capgen.AP("198.51.100.40:2049"), IPID: 4242, Payload: payload(2992)}
	orig := capgen.Fragment4(u.Frame(), 1000)
	u.TTL = 63
	again := capgen.Fragment4(u.Frame(), 1000)
	var datas [][]byte
	for i := range orig {
		datas = append(datas, orig[i], again[i])
	}
	b := runFrames(t, "interval_s: 60\n", "frag-mirrored.pcap", framesAt(0, datas...))
	f := flowByPorts(b, 800, 2049)
	if f == nil {
		t.Fatal("no flow 800>2049")
	}
	for _, c := range []struct {
		metric string
		want   uint64
	}{{"packets", 6}, {"ip_reassembled", 1}, {"ip_fragment_duplicates", 3}, {"ip_reassembly_failures", 0}} {
		if n, _ := metric(b, f.FlowID, c.metric); n != c.want {
			t.Errorf("%s = %d, want %d", c.metric, n, c.want)
		}
	}
	if ev := eventsOf(b, "ip_reassembly_incomplete"); len(ev) != 0 {
		t.Errorf("incomplete events %+v, want none", ev)
	}
}

// TestFTPFragmentedSegments: the FTP analysis takes a segment that came in
// IP fragments once reassembled, with all its bytes. A passive RETR whose
// two 3000-byte data segments come in fragments of 1480 bytes (a path
// that fragments TCP: a tunnel clearing DF), the capture ending before
// the data connection closes, and a 226 reply in fragments of 8 bytes.
// tshark -2 -r testdata/frag-ftp.pcap -o ip.defragment:TRUE -Y
// "tcp.srcport == 40000" -T fields -e tcp.len: 3000 and 3000 (bytes
// 6000), and -Y ftp.response.code == 226 finds the reassembled reply.
// Before, the tracker saw only each segment's first fragment (1460 of its
// 3000 bytes: 4460 bytes from sequence numbers) and never the fragmented
// reply (reply_code 0, status incomplete).
func TestFTPFragmentedSegments(t *testing.T) {
	type conn struct {
		a, b   netip.AddrPort
		sa, sb uint32
	}
	var fr []capgen.Frame
	at, id := capgen.Base, uint16(1)
	add := func(cn *conn, fromA bool, flags, data string, frag int) {
		id++
		seg := capgen.TCP{Src: cn.b, Dst: cn.a, Flags: flags, Seq: cn.sb, Ack: cn.sa, Win: 509, Payload: []byte(data), IPID: id}
		if fromA {
			seg = capgen.TCP{Src: cn.a, Dst: cn.b, Flags: flags, Seq: cn.sa, Ack: cn.sb, Win: 502, Payload: []byte(data), IPID: id}
		}
		if flags == "S" {
			seg.Ack = 0
		}
		frames := [][]byte{seg.Seg()}
		if frag > 0 {
			frames = capgen.Fragment4(frames[0], frag)
		}
		fr = append(fr, framesAt(float64(at-capgen.Base)/1e6, frames...)...)
		at += 10e6
		n := uint32(len(data))
		if flags == "S" || flags == "SA" {
			n++
		}
		if fromA {
			cn.sa += n
		} else {
			cn.sb += n
		}
	}
	cc := &conn{a: capgen.AP("192.0.2.30:40100"), b: capgen.AP("198.51.100.21:21"), sa: 1000, sb: 5000}
	dd := &conn{a: capgen.AP("192.0.2.30:40200"), b: capgen.AP("198.51.100.21:40000"), sa: 7000, sb: 0x80001000}
	add(cc, true, "S", "", 0)
	add(cc, false, "SA", "", 0)
	add(cc, true, "A", "", 0)
	add(cc, false, "PA", "220 x\r\n", 0)
	add(cc, true, "PA", "PASV\r\n", 0)
	add(cc, false, "PA", "227 Entering Passive Mode (198,51,100,21,156,64)\r\n", 0)
	add(cc, true, "PA", "RETR f\r\n", 0)
	add(dd, true, "S", "", 0)
	add(dd, false, "SA", "", 0)
	add(dd, true, "A", "", 0)
	add(cc, false, "PA", "150 ok\r\n", 0)
	add(dd, false, "PA", string(payload(3000)), 1480)
	add(dd, false, "PA", string(payload(3000)), 1480)
	add(cc, false, "PA", "226 Transfer complete\r\n", 8)
	b := runFrames(t, "interval_s: 60\nclasses:\n  - name: ftp\n    filter: \"tcp port 21\"\n    analyses: [counters, ftp]\n", "frag-ftp.pcap", fr)
	if len(b.FTPTransfers) != 1 {
		t.Fatalf("%d transfers, want 1", len(b.FTPTransfers))
	}
	if x := b.FTPTransfers[0]; x.Bytes != 6000 || x.ReplyCode != 226 || x.Status != "complete" {
		t.Errorf("transfer bytes %d reply %d status %s, want 6000, 226, complete", x.Bytes, x.ReplyCode, x.Status)
	}
}
