package probe

import (
	"net/netip"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestWorkersTinyBound: with a recorder bound of 1 byte every worker
// pauses after every work item and every flow update of the end of the
// run (bound.go), and the merge is taken in as many rounds; 2 and 4
// workers still send a lone probe's frames byte for byte (ids, rows and
// their packing in PDUs: TestWorkersSameFrames's capture, whose closes,
// timers and end of run make every worker publish in one item).
func TestWorkersTinyBound(t *testing.T) {
	cfg, items := framesInput(t)
	want, _ := runFrames(t, cfg, items, 0, 0)
	for _, n := range []int{2, 4} {
		got, w := runFrames(t, cfg, items, n, 1)
		if w.rounds < uint64(len(items)/2) { // pauses of several workers at once share a round
			t.Errorf("%d workers: %d rounds of the merge cut short by a pause, want at least one per two items (%d items)", n, w.rounds, len(items))
		}
		if w.rn.misses != 0 {
			t.Errorf("%d workers: %d ids not renumbered", n, w.rn.misses)
		}
		sameFrames(t, n, got, want)
	}
}

// TestWorkersRecorderBound: a worker's recorder never holds more than
// workerRecordBytes and one record at the end of the run, where 40,000
// flows' last updates (each worker's half: about 1 MB of records) were all
// held before the merge took any (the end of the 5 M corpus's run, 11 MiB
// for 197 k flows, was the peak of `bench --workers 2`'s heap). With no
// pause (a bound of the whole run's) the same recorders hold more than
// the bound: the capture would exceed it.
func TestWorkersRecorderBound(t *testing.T) {
	cfg, err := config.Parse([]byte(`
interval_s: 3600
classes:
  - name: all
    filter: ""
    granularity: [ip_version, protocol, src_addr, dst_addr, src_port, dst_port]
    idle_timeout_s: 3600
    analyses: [counters]
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const flows = 40_000
	run := func(bound int) (maxHeld int, w *Workers) {
		w, err := NewWorkers(Identity{Name: "p", Interfaces: []string{"if0"}}, cfg, []Channel{{Link: nopLink{}, Config: pdu.DefaultSenderConfig()}}, nil, 2)
		if err != nil {
			t.Fatal(err)
		}
		w.setBound(bound)
		client := netip.MustParseAddr("192.0.2.1")
		for i := range flows {
			dst := netip.AddrFrom4([4]byte{198, 51, byte(i >> 8), byte(i)})
			data := capgen.UDP{Src: netip.AddrPortFrom(client, 40000), Dst: netip.AddrPortFrom(dst, 53)}.Frame()
			w.Packet(data, pkt.Meta{TimeNs: capgen.Ms(float64(i)), CapLen: uint32(len(data)), WireLen: uint32(len(data)), LinkType: pkt.LinkEthernet})
		}
		w.Close()
		for _, b := range append(w.free, w.cur) {
			for i := range b.out {
				maxHeld = max(maxHeld, b.out[i].rec.maxHeld)
			}
		}
		return maxHeld, w
	}
	// one record: a flow update (under 64 bytes), its op and id mark
	const record = 64 + heldOpBytes + heldMarkByte
	got, w := run(workerRecordBytes)
	if got > workerRecordBytes+record {
		t.Errorf("a worker's recorder held %d bytes, want at most %d (workerRecordBytes) + %d (a record)", got, workerRecordBytes, record)
	}
	if w.rounds == 0 {
		t.Errorf("no merge round cut short by a pause")
	}
	if got, _ := run(1 << 40); got <= workerRecordBytes+record {
		t.Errorf("with no pause a recorder held %d bytes, want more than %d: the capture does not test the bound", got, workerRecordBytes+record)
	}
}
