package rtt

import (
	"reflect"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestQuietSameSamples: a caller that skips the packets Quiet names (the
// probe) gets the samples, unanswered requests and counters of one that
// hands every packet to Packet, on every committed capture, with the
// default config's class all (icmp_echo and tcp_handshake: most TCP
// segments and the UDP datagrams not fragments quiet) and with every
// kind (tcp_ts and dns: none).
func TestQuietSameSamples(t *testing.T) {
	handshakes := DefaultConfig()
	handshakes.Kinds = []string{"icmp_echo", "tcp_handshake"}
	quiet, handshakeSamples := 0, 0
	quietUDP, quietDNS := 0, 0 // of which UDP, to or from port 53
	for _, f := range testsamples.Captures(t) {
		pkts := readCapture(t, f)
		for _, cfg := range []Config{handshakes, DefaultConfig()} {
			want := run(t, cfg, pkts)
			r := &result{unanswered: map[string]int{}, unansFlows: map[string][]uint64{}, flows: flowIDs{}, tr: New(cfg)}
			emit := func(s *observe.RTTSample) { r.samples = append(r.samples, CloneSample(s)) }
			un := func(kind string, flow uint64) {
				r.unanswered[kind]++
				r.unansFlows[kind] = append(r.unansFlows[kind], flow)
			}
			for i := range pkts {
				p := &pkts[i]
				if !p.ok {
					continue
				}
				r.tr.Expire(p.d.Meta.TimeNs, un)
				id := r.flows.of(&p.d) // numbered as run numbers them
				if r.tr.Quiet(&p.d) {
					quiet++
					if p.d.Flags&dissect.HasUDP != 0 {
						quietUDP++
						if p.d.SrcPort == 53 || p.d.DstPort == 53 {
							quietDNS++
						}
					}
					continue
				}
				r.tr.Packet(&p.d, id, emit)
			}
			r.tr.Flush(un)
			if !reflect.DeepEqual(r.samples, want.samples) || !reflect.DeepEqual(r.unanswered, want.unanswered) || r.tr.Stats() != want.tr.Stats() {
				t.Errorf("%s, kinds %v: skipping the quiet packets gave %d samples, %v unanswered; every packet: %d, %v", f, cfg.Kinds, len(r.samples), r.unanswered, len(want.samples), want.unanswered)
			}
			handshakeSamples += len(want.byKind("tcp_handshake"))
		}
	}
	if quiet < 10000 || handshakeSamples < 100 || quietUDP < 1000 || quietDNS < 100 {
		t.Fatalf("%d quiet packets (%d UDP, %d DNS), %d tcp_handshake samples: not exercised", quiet, quietUDP, quietDNS, handshakeSamples)
	}
}
