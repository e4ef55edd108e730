package reasm

import (
	"os"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testframes"

	"github.com/tmonbench/tmonbench/internal/testsamples"

	"github.com/tmonbench/tmonbench/engine/dissect"
)

// testPkt is one captured packet and its dissection.
type testPkt struct {
	data []byte
	d    dissect.Dissection
	frag bool // the dissector set IsFrag (IPv4 MF/offset, IPv6 M/offset; not an atomic fragment)
}

// samplesDir returns testdata/ at the module root (testsamples.Dir).
func samplesDir(t testing.TB) string { return testsamples.Dir(t) }

// readCapture reads a capture with replay.Open and dissects every packet
// with the probe's dissector (dissect.New), as the probe will.
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
		if err := dis.Dissect(p.data, metas[i], &p.d); err == nil && p.d.Fragment() {
			p.frag = true
		}
		p.d.Meta = metas[i]
	}
	return out
}

// feed runs every fragment of pkts through r in capture order, calling
// Expire with each packet's time, and returns the complete datagrams
// (copied) and the Incompletes, Flush included.
func feed(t testing.TB, r *Reassembler, pkts []testPkt) ([]Result, []Incomplete) {
	t.Helper()
	var done []Result
	var inc []Incomplete
	collect := func(i Incomplete) { inc = append(inc, i) }
	for i := range pkts {
		p := &pkts[i]
		r.Expire(p.d.Meta.TimeNs, collect)
		if !p.frag {
			continue
		}
		res, err := r.Add(&p.d, p.data)
		if err != nil {
			t.Fatalf("frame %d: Add: %v", p.d.Meta.Frame, err)
		}
		if res.Complete {
			res.Datagram = append([]byte(nil), res.Datagram...)
			done = append(done, res)
		}
	}
	r.Flush(collect)
	return done, inc
}
