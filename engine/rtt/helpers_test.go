package rtt

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/internal/capgen"
	"github.com/tmonbench/tmonbench/internal/testframes"

	"github.com/tmonbench/tmonbench/internal/testsamples"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/observe"
)

// samplesDir returns testdata/ at the module root (testsamples.Dir).
func samplesDir(t testing.TB) string { return testsamples.Dir(t) }

// testPkt is one captured packet (data owned) and its dissection.
type testPkt struct {
	data []byte
	d    dissect.Dissection
	ok   bool // Dissect returned nil
}

// readCapture reads a capture with replay.Open and dissects every packet
// with dissect.New, as the probe does.
func readCapture(t testing.TB, path string) []testPkt {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("capture: %v", err)
	}
	frames, metas := testframes.Frames(t, path)
	dis := dissect.New()
	out := make([]testPkt, len(frames))
	for i, data := range frames {
		p := &out[i]
		p.data = data
		p.ok = dis.Dissect(p.data, metas[i], &p.d) == nil
	}
	return out
}

// flowIDs gives every direction of every 5-tuple its own id, standing for
// the probe's flow ids in a class split by the 5-tuple.
type flowIDs map[string]uint64

func (f flowIDs) of(d *dissect.Dissection) uint64 {
	k := fmt.Sprintf("%d %s:%d>%s:%d", d.Protocol, d.SrcAddr, d.SrcPort, d.DstAddr, d.DstPort)
	id, ok := f[k]
	if !ok {
		id = uint64(len(f) + 1)
		f[k] = id
	}
	return id
}

// result is what a run over a capture produced.
type result struct {
	samples    []observe.RTTSample
	unanswered map[string]int
	unansFlows map[string][]uint64
	flows      flowIDs
	tr         *Tracker
}

// run feeds every packet to a Tracker built from cfg, calling Expire with
// each packet's time, then Flush.
func run(t testing.TB, cfg Config, pkts []testPkt) *result {
	t.Helper()
	return runHinted(cfg, pkts, nil)
}

// runHinted is run with PacketHint when hintOf is set: it picks the hint
// a packet's flow record keeps.
func runHinted(cfg Config, pkts []testPkt, hintOf func(d *dissect.Dissection) *Hint) *result {
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
		if hintOf != nil {
			r.tr.PacketHint(&p.d, r.flows.of(&p.d), hintOf(&p.d), emit)
		} else {
			r.tr.Packet(&p.d, r.flows.of(&p.d), emit)
		}
	}
	r.tr.Flush(un)
	return r
}

// byKind returns the samples of one kind.
func (r *result) byKind(kind string) []observe.RTTSample {
	var out []observe.RTTSample
	for _, s := range r.samples {
		if s.Kind == kind {
			out = append(out, s)
		}
	}
	return out
}

// respNs is the response time of a sample: request time plus RTT.
func respNs(s *observe.RTTSample) int64 {
	return s.RequestTime + int64(s.RTTMs*1e6+0.5)
}

func absDiff(a, b int64) int64 {
	if a < b {
		return b - a
	}
	return a - b
}

// seg is a TCP segment ms milliseconds after capgen.Base.
type seg struct {
	ms float64
	capgen.TCP
}

// segCapture writes segs as a pcap named name in a temporary folder and
// returns its path.
func segCapture(t *testing.T, name string, segs []seg) string {
	t.Helper()
	var fr []capgen.Frame
	for _, sg := range segs {
		fr = append(fr, capgen.Frame{TimeNs: capgen.Ms(sg.ms), Data: sg.Seg()})
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, capgen.PCAP(fr, true), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// rttByDetail maps the detail of each sample of kind to its rtt_ms.
func (r *result) rttByDetail(kind string) map[string]float64 {
	got := map[string]float64{}
	for _, s := range r.byKind(kind) {
		got[s.Detail] = s.RTTMs
	}
	return got
}

// golden writes (with -update) or checks the capture of frames at path
// (capgen.Golden) and returns its absolute path.
func golden(t *testing.T, path string, fr []capgen.Frame) string {
	t.Helper()
	abs, err := filepath.Abs(capgen.Golden(t, path, capgen.PCAP(fr, true)))
	if err != nil {
		t.Fatal(err)
	}
	return abs
}
