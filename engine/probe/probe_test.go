package probe_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testsamples"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// samplesDir returns testdata/ at the module root (testsamples.Dir).
func samplesDir(t testing.TB) string { return testsamples.Dir(t) }

// run runs one probe over the capture rel (relative to samplesDir).
func run(t testing.TB, yaml string, rel string) *observe.Batch {
	t.Helper()
	return runPath(t, yaml, filepath.Join(samplesDir(t), rel))
}

func flowsOf(b *observe.Batch, class string) []observe.Flow {
	var out []observe.Flow
	for _, f := range b.Flows {
		if f.Class == class {
			out = append(out, f)
		}
	}
	return out
}

func counter(b *observe.Batch, flowID uint64, metric string) (n uint64) {
	for _, c := range b.FlowCounters {
		if c.FlowID == flowID && c.Metric == metric {
			n += c.N
		}
	}
	return n
}

// TestFragmentsFollowTheirDatagram: every fragment of a datagram counts in
// the flow of its first fragment (design 3.2), so a fragmented UDP
// datagram is one 5-tuple flow, and a filter on ports keeps its later
// fragments too although they carry no UDP header.
func TestFragmentsFollowTheirDatagram(t *testing.T) {
	// zeek_ipv4_fragmented-1.pcap: 3 fragments of one UDP datagram
	// (tshark -o ip.defragment:FALSE: frames 1 and 3 at offset 0, frame 2 at 48).
	const cfg = `
classes:
  - name: dns-like
    filter: "udp port 53 or udp port 1024 or udp"
    analyses: [counters]
`
	b := run(t, cfg, "pcap/ipv4-fragments/zeek_ipv4_fragmented-1.pcap")
	all := flowsOf(b, "all")
	if len(all) != 1 || all[0].Packets != 3 || all[0].SrcPort == 0 {
		t.Fatalf("class all: %+v, want one UDP flow with ports and 3 packets", all)
	}
	if n := counter(b, all[0].FlowID, "ip_fragments"); n != 3 {
		t.Errorf("ip_fragments %d, want 3", n)
	}
}

// TestIncompleteDatagram: a datagram that never completes is an event and
// a reassembly failure of its flow.
func TestIncompleteDatagram(t *testing.T) {
	// zeek_ipv4_fragmented-3.pcap: 5 TCP fragments, all MF=1: never completes.
	b := run(t, "", "pcap/ipv4-fragments/zeek_ipv4_fragmented-3.pcap")
	all := flowsOf(b, "all")
	if len(all) != 1 || all[0].Packets != 5 {
		t.Fatalf("flows %+v", all)
	}
	if n := counter(b, all[0].FlowID, "ip_reassembly_failures"); n != 1 {
		t.Errorf("ip_reassembly_failures %d, want 1", n)
	}
	events := 0
	for _, e := range b.Events {
		if e.Kind == "ip_reassembly_incomplete" {
			events++
		}
	}
	if events != 1 {
		t.Errorf("%d ip_reassembly_incomplete events, want 1", events)
	}
}

// TestICMPErrorCountsInQuotedFlow: a port unreachable quoting a DNS reply
// counts in the DNS flow it quotes (design 3.3), and in its own ICMP flow
// by type and code.
func TestICMPErrorCountsInQuotedFlow(t *testing.T) {
	// chrissanders_ppa1e_destunreachable.pcap: 3 echo requests answered by
	// host unreachable (type 3 code 1) from a router, quoting the request.
	b := run(t, "", "pcap/icmp-errors/chrissanders_ppa1e_destunreachable.pcap")
	var quoted, own uint64
	for _, c := range b.FlowCounters {
		switch c.Metric {
		case "icmp_error_type_3_code_1":
			quoted += c.N
		case "icmp_type_3_code_1":
			own += c.N
		}
	}
	if quoted != 3 || own != 3 {
		t.Errorf("icmp_error_type_3_code_1 %d, icmp_type_3_code_1 %d; want 3 and 3", quoted, own)
	}
}

// TestSizeHistogram: the sizes analysis puts every packet in one slice.
func TestSizeHistogram(t *testing.T) {
	const cfg = `
classes:
  - name: sized
    filter: "tcp"
    granularity: [protocol]
    analyses: [counters, sizes]
    size_edges: [64, 576, 1500]
`
	// zeek_tcp_reassembly.pcap: 117 TCP packets; from
	// tshark -T fields -e ip.len | awk (slices by ip.len): 75 of at most
	// 64 bytes, 20 in (64,576], 22 in (576,1500].
	b := run(t, cfg, "pcap/tcp-retrans-rst/zeek_tcp_reassembly.pcap")
	got := map[uint32]uint64{}
	for _, h := range b.SizeHistograms {
		got[h.SliceLoBytes] += h.Packets
	}
	want := map[uint32]uint64{0: 75, 64: 20, 576: 22}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("slice from %d: %d packets, want %d (all: %v)", k, got[k], v, got)
		}
	}
}

// TestFlowTableBound: a full table evicts the least recently seen flow and
// says so in an event; every packet is still counted once.
func TestFlowTableBound(t *testing.T) {
	b := run(t, "flow_table: {max_flows: 5}\n", "pcap/mixed/zeek_wikipedia.pcap")
	var packets uint64
	for _, f := range flowsOf(b, "all") {
		packets += f.Packets
	}
	if packets != 126 {
		t.Errorf("%d packets in flows, want 126", packets)
	}
	found := false
	for _, e := range b.Events {
		if e.Kind == "flows_evicted" && strings.Contains(e.Message, "max_flows 5") {
			found = true
		}
	}
	if !found {
		t.Error("no flows_evicted event")
	}
}

// TestIdleExpiry: with a 1 s interval and a 2 s idle timeout, a flow idle
// for longer is expired and a later packet of the same 5-tuple opens a new
// flow.
func TestIdleExpiry(t *testing.T) {
	const cfg = `
interval_s: 1
classes:
  - name: all
    idle_timeout_s: 2
`
	// zeek_icmp_5-pings.pcap: 5 echo pairs, one per second: the
	// request flow is never idle for 2 s, so it stays one flow.
	b := run(t, cfg, "pcap/icmp-echo/zeek_icmp_5-pings.pcap")
	if n := len(flowsOf(b, "all")); n != 2 {
		t.Errorf("%d flows, want 2 (requests, replies)", n)
	}
	// zeek_wikipedia.pcap spans 6.4 s; its DNS flows of the first
	// second expire; packet totals stay right.
	b = run(t, cfg, "pcap/mixed/zeek_wikipedia.pcap")
	var packets uint64
	for _, f := range flowsOf(b, "all") {
		packets += f.Packets
	}
	if packets != 126 {
		t.Errorf("%d packets, want 126", packets)
	}
}

// TestLabFragReassemblyFailures: every datagram that never completes at B
// (lab frag summary.json: incomplete_at_B 11, two of them without their
// first fragment) is an event and a failure counted in its flow.
func TestLabFragReassemblyFailures(t *testing.T) {
	b := run(t, "", "lab/frag/B.pcap")
	var failures uint64
	inAll := map[uint64]bool{}
	for _, f := range flowsOf(b, "all") {
		inAll[f.FlowID] = true
	}
	for _, c := range b.FlowCounters {
		if c.Metric == "ip_reassembly_failures" && inAll[c.FlowID] {
			failures += c.N
		}
	}
	events := 0
	for _, e := range b.Events {
		if e.Kind == "ip_reassembly_incomplete" {
			events++
		}
	}
	if failures != 11 || events != 11 {
		t.Errorf("%d failures counted, %d events; summary.json: 11 incomplete at B", failures, events)
	}
}
