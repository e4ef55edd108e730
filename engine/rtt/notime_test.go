package rtt

import (
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestNoCaptureTimeNotTimed: a pcapng Simple Packet Block carries no time
// (pcapng §4.4); replay gives its packet the previous packet's time and
// says so (pkt.Meta.TimeBorrowed). A round trip is never made of that
// borrowed time, neither from an SPB request nor to an SPB response: the
// pair is matched (Requests, Responses, no orphan, nothing unanswered) and
// counted in Stats.Unmeasured. Capture generated here with capgen.PCAPNG
// (Frame.Simple), committed as testdata/dns-simple-packet-block.pcapng:
// EPB query id 0x1000 at 0 ms, EPB response at 12 ms (the one sample,
// 12 ms); SPB query 0x2000 (it takes 12 ms), EPB response at 40 ms
// (before the fix: a 28 ms sample, made of the invented 12 ms); EPB query
// 0x3000 at 100 ms, SPB response (it takes 100 ms; before the fix: a 0 ms
// sample). tshark 4.0.17 (-T fields -e frame.time_epoch -e dns.time)
// shows no time for frames 3 and 6 and computes their pairs' dns.time
// against time 0 (1700000000.04 s, -1700000000.1 s): no RTT there either.
func TestNoCaptureTimeNotTimed(t *testing.T) {
	srv := capgen.AP("198.51.100.53:53")
	cli := netip.MustParseAddr("192.0.2.10")
	dns := func(port, id uint16, resp bool, ms float64, simple bool) capgen.Frame {
		u := capgen.UDP{Src: netip.AddrPortFrom(cli, port), Dst: srv, Payload: dnsMsg(t, id, resp, "www.example.com", 0)}
		if resp {
			u.Src, u.Dst = u.Dst, u.Src
		}
		f := capgen.Frame{TimeNs: capgen.Ms(ms), Simple: simple, Data: u.Frame()}
		if simple {
			f.TimeNs = 0 // not written
		}
		return f
	}
	frames := []capgen.Frame{
		dns(40010, 0x1000, false, 0, false),
		dns(40010, 0x1000, true, 12, false),
		dns(40011, 0x2000, false, 0, true),
		dns(40011, 0x2000, true, 40, false),
		dns(40012, 0x3000, false, 100, false),
		dns(40012, 0x3000, true, 0, true),
	}
	data := capgen.PCAPNG([][]string{{"eth0"}}, frames)
	path, err := filepath.Abs(capgen.Golden(t, "testdata/dns-simple-packet-block.pcapng", data))
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, Config{Kinds: []string{"dns"}}, readCapture(t, path))
	got := r.byKind("dns")
	if len(got) != 1 || got[0].ClientPort != 40010 || got[0].RTTMs != 12 || got[0].RequestTime != capgen.Ms(0) {
		t.Fatalf("dns samples %+v, want one: port 40010, 12 ms, requested at %d", got, capgen.Ms(0))
	}
	st := r.tr.Stats()
	if st.Requests[KindDNS] != 3 || st.Responses[KindDNS] != 3 || st.Unmeasured[KindDNS] != 2 || st.Orphans[KindDNS] != 0 {
		t.Errorf("dns requests %d responses %d unmeasured %d orphans %d, want 3 3 2 0",
			st.Requests[KindDNS], st.Responses[KindDNS], st.Unmeasured[KindDNS], st.Orphans[KindDNS])
	}
	if n := r.unanswered["dns"]; n != 0 {
		t.Errorf("%d unanswered dns queries, want 0", n)
	}
}
