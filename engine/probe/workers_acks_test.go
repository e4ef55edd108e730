package probe_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/collector"
	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/oneway"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/replay"
)

// TestWorkersAcksKeepBuildTimes: a probe process polls its
// acknowledgements at the probe clock (Run: every PollEvery packets, at
// Now). For Workers, Now is the reader's clock, up to the batches in
// flight ahead of what the senders were given (3 x 1024 packets, 6.2 s of
// the lab's oneway-udp at B). Handled there, an acknowledgement moved the
// senders' clock past observations still in flight; the next PDUs, holding
// them, carried that clock as their build time, which the collector takes
// as the probe's one-way watermark (design 4.3): it classified A's packets
// as lost before B's observations came (then missed at B).
// TestTwoProcesses met it once on a loaded machine (a reader that never
// waits for its pace fills every batch: 4505 delivered, 495 lost, 436
// missed).
//
// Here the probes run at full speed, A then B (1 or 3 workers), over
// links that deliver each frame to the collector at once and hand its
// acknowledgement over at the next poll's time, as pdu.UDPLink does. No
// observation is sent in a PDU after one built more than max_build_s (1
// s, the sender's bound on a PDU under construction) after it: before the
// fix, 3.956 s at B with 3 workers. With timeout_s 3 the collector's
// statuses are then the lab truth's, 4941 delivered and 59 lost (jq
// '.received, .lost' testdata/lab/oneway-udp/summary.json); before the
// fix 4467 delivered, 533 lost, 474 missed.
func TestWorkersAcksKeepBuildTimes(t *testing.T) {
	cfg, err := config.Parse([]byte(`
interval_s: 10
probes: [{name: A}, {name: B}]
classes:
  - name: telemetry
    filter: "udp and dst port 9000"
    granularity: [dst_addr, dst_port]
    analyses: [oneway]
    oneway: {hops: [A, B], signature_bits: 16, mask: [src_addr, src_port, l4_checksum], records: true, timeout_s: 3}
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 3} {
		t.Run(fmt.Sprint(workers, " workers"), func(t *testing.T) {
			coll, err := collector.New(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i, name := range []string{"A", "B"} {
				f, err := replay.Open(filepath.Join(samplesDir(t), "lab", "oneway-udp", name+".pcap"))
				if err != nil {
					t.Fatal(err)
				}
				var sent []sentPDU // first sendings, in order
				seen := map[uint32]bool{}
				link := &ackAtPoll{heldLink{deliver: func(fr []byte) []byte {
					if h, pl, err := pdu.ParseFrame(fr); err == nil && !seen[h.ID] {
						seen[h.ID] = true
						s := sentPDU{buildNs: h.BuildTimeNs, oldestNs: 1 << 62}
						if h.Type == pdu.TypePacketObs {
							if err := oneway.Decode(pl, func(o *oneway.Obs) { s.oldestNs = min(s.oldestNs, o.TimeNs) }); err != nil {
								t.Error(err)
							}
						}
						sent = append(sent, s)
					}
					return coll.Handle(fr)
				}}}
				ch := []probe.Channel{{Link: link, Config: pdu.DefaultSenderConfig()}}
				id := probe.Identity{Name: name, ID: uint16(i + 1)}
				opt := probe.RunOptions{Acks: []probe.AckSource{link}}
				var senders []*pdu.Sender
				if name == "B" && workers > 1 {
					w, err := probe.NewWorkers(id, cfg, ch, nil, workers)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := w.Run(context.Background(), f, opt); err != nil {
						t.Fatal(err)
					}
					senders = w.Senders()
				} else {
					p, err := probe.New(id, cfg, ch, nil)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := p.Run(context.Background(), f, opt); err != nil {
						t.Fatal(err)
					}
					senders = p.Senders()
				}
				f.Close()
				link.Poll(senders[0], 0)
				ahead, oldest := int64(0), int64(1<<62)
				for k := len(sent) - 1; k >= 0; k-- {
					ahead = max(ahead, sent[k].buildNs-oldest)
					oldest = min(oldest, sent[k].oldestNs)
				}
				if ahead > 1e9 {
					t.Errorf("%s: a PDU built %.3f s after an observation sent later, want at most max_build_s (1 s)", name, float64(ahead)/1e9)
				}
			}
			b := coll.Finish()
			n := map[string]int{}
			for _, d := range b.OnewayDelays {
				n[d.Status]++
			}
			if len(n) != 2 || n["delivered"] != 4941 || n["lost"] != 59 {
				t.Errorf("statuses %v, want delivered 4941, lost 59 (lab truth)", n)
			}
		})
	}
}

// sentPDU is a PDU's build time and its oldest one-way observation's time.
type sentPDU struct{ buildNs, oldestNs int64 }

// ackAtPoll is heldLink handing the acknowledgements over at the poll's
// time, as pdu.UDPLink does.
type ackAtPoll struct{ heldLink }

func (h *ackAtPoll) Poll(s *pdu.Sender, nowNs int64) int {
	h.polls++
	n := len(h.acks)
	for _, a := range h.acks {
		s.HandleAckAt(nowNs, a)
	}
	h.acks = h.acks[:0]
	return n
}
