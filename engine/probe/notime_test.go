package probe_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestNoCaptureTimeNoRTT: a packet without a capture time of its own
// (pkt.Meta.TimeBorrowed) is counted as any other but never timed by rtt,
// from replay through the probe to the output. Generated pcapng
// (testdata/dns-no-time.pcapng, capgen.PCAPNG with Frame.Simple), class
// dns of the default config: query id 1 (EPB, 0 ms) answered at 12 ms
// (the one rtt sample, 12 ms); query 2 in a Simple Packet Block (no time,
// pcapng §4.4: replay gives it 12 ms) answered at 40 ms; query 3 at 100
// ms answered in an SPB (100 ms); query 4 stamped in 2262 (the probe takes
// it at the previous packet's time, 100 ms: capture_time_invalid)
// answered at 150 ms. Before the fix: samples of 28, 0 and 50 ms made of
// borrowed times. The 3 pairs reach the output as the event
// rtt_unmeasured (count 3), and the 8 packets are all in class dns's flows.
func TestNoCaptureTimeNoRTT(t *testing.T) {
	srv := capgen.AP("198.51.100.53:53")
	dns := func(port, id uint16, resp bool, ns int64, simple bool) capgen.Frame {
		u := capgen.UDP{Src: capgen.AP(fmt.Sprintf("192.0.2.10:%d", port)), Dst: srv, Payload: dnsMsg(t, id, "www.example.com", 0)}
		if resp {
			u = capgen.UDP{Src: srv, Dst: u.Src, Payload: dnsMsg(t, id, "www.example.com", 1)}
		}
		if simple {
			ns = 0 // not written
		}
		return capgen.Frame{TimeNs: ns, Simple: simple, Data: u.Frame()}
	}
	const year2262 = 9_223_372_036_000_000_000
	fr := []capgen.Frame{
		dns(40010, 1, false, capgen.Ms(0), false),
		dns(40010, 1, true, capgen.Ms(12), false),
		dns(40011, 2, false, 0, true),
		dns(40011, 2, true, capgen.Ms(40), false),
		dns(40012, 3, false, capgen.Ms(100), false),
		dns(40012, 3, true, 0, true),
		dns(40013, 4, false, year2262, false),
		dns(40013, 4, true, capgen.Ms(150), false),
	}
	path, err := filepath.Abs(capgen.Golden(t, "testdata/dns-no-time.pcapng", capgen.PCAPNG([][]string{{"eth0"}}, fr)))
	if err != nil {
		t.Fatal(err)
	}
	b := runPath(t, string(config.DefaultYAML()), path)
	var got []string
	for _, s := range b.RTTSamples {
		got = append(got, fmt.Sprintf("%s %d %v", s.Kind, s.ClientPort, s.RTTMs))
	}
	if want := []string{"dns 40010 12"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rtt samples %q, want %q", got, want)
	}
	ev := eventsOf(b, "rtt_unmeasured")
	if len(ev) != 1 || ev[0].Count != 3 || !strings.Contains(ev[0].Message, "class dns: 3 pairs without a round trip") {
		t.Errorf("rtt_unmeasured events %+v, want one of class dns, count 3", ev)
	}
	var packets uint64
	for _, f := range b.Flows {
		if f.Class == "dns" {
			packets += f.Packets
		}
	}
	if packets != 8 {
		t.Errorf("class dns: %d packets in flows, want 8", packets)
	}
}
