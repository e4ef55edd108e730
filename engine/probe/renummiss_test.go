package probe

import (
	"bytes"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// frameLink keeps every frame sent.
type frameLink struct{ frames [][]byte }

func (l *frameLink) Send(frame []byte) { l.frames = append(l.frames, bytes.Clone(frame)) }

// TestRenumMissesReported: ids the workers' merge found no dense id for
// (renum.misses, a fault: none in any test run) reach the events table
// at the end of the run, an ids_not_renumbered error counting them, as
// every counter a package keeps reaches the output; before, they went to
// the log alone. A healthy run sends no such event (a lone probe has no
// merge: the tables stay the same for any number of workers).
func TestRenumMissesReported(t *testing.T) {
	for _, misses := range []uint64{0, 3} {
		link := &frameLink{}
		w, err := NewWorkers(Identity{Name: "t"}, config.Default(), []Channel{{Link: link, Config: pdu.DefaultSenderConfig()}}, nil, 2)
		if err != nil {
			t.Fatal(err)
		}
		u := capgen.UDP{Src: capgen.AP("192.0.2.1:4000"), Dst: capgen.AP("198.51.100.2:9"), Payload: make([]byte, 20)}.Frame()
		w.Packet(u, pkt.Meta{TimeNs: capgen.Base, CapLen: uint32(len(u)), WireLen: uint32(len(u)), LinkType: pkt.LinkEthernet})
		w.Tick(capgen.Base + 1e9)
		w.rn.misses += misses
		w.Close()
		found := false
		for _, f := range link.frames {
			found = found || bytes.Contains(f, []byte("ids_not_renumbered"))
		}
		if found != (misses > 0) {
			t.Errorf("%d ids not renumbered: ids_not_renumbered event sent %v, want %v", misses, found, misses > 0)
		}
		if misses > 0 && !bytes.Contains(bytes.Join(link.frames, nil), []byte("3 flow, connection or session ids")) {
			t.Errorf("the event does not count the 3 ids")
		}
	}
}
