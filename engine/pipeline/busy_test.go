package pipeline_test

import (
	"context"
	"encoding/binary"
	"io"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
)

// busySource generates a busy link in memory: n raw IPv4/UDP packets over
// spanNs of capture time, spread over flows distinct 5-tuples (source
// address and port vary), so each interval close reports every flow.
type busySource struct {
	n, flows, i int
	t0, spanNs  int64
	buf         [48]byte
}

func (s *busySource) Next() ([]byte, pkt.Meta, error) {
	if s.i == s.n {
		return nil, pkt.Meta{}, io.EOF
	}
	f := s.i % s.flows
	b := s.buf[:]
	b[0], b[1] = 0x45, 0
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	binary.BigEndian.PutUint16(b[4:], uint16(s.i))
	b[6], b[7], b[8], b[9] = 0x40, 0, 64, 17 // DF, TTL 64, UDP
	copy(b[12:16], []byte{10, byte(f >> 16), byte(f >> 8), byte(f)})
	copy(b[16:20], []byte{192, 0, 2, 1})
	binary.BigEndian.PutUint16(b[20:], uint16(1024+f%50000))
	binary.BigEndian.PutUint16(b[22:], 9000)
	binary.BigEndian.PutUint16(b[24:], uint16(len(b)-20))
	m := pkt.Meta{TimeNs: s.t0 + int64(s.i)*s.spanNs/int64(s.n), CapLen: uint32(len(b)), WireLen: uint32(len(b)), LinkType: pkt.LinkIPv4, Frame: uint64(s.i + 1)}
	s.i++
	return b, m, nil
}

func (s *busySource) Close() error { return nil }

// TestBusyCaptureFlowsDuringRun: on a busy link (1,200 flows reported
// every 1 s interval: about 50 PDUs a close, for 20 s) the in-process
// loopback is not regulated, so most PDUs reach the collector while packets
// are read; the same channel regulated as a network link that sends one
// PDU per 50 ms (2.5 s of sending per second of capture) keeps most of
// them until after the last packet (as the former 10 ms default did with
// 83 % of the PDUs of the benchmark corpus, issue 14) and reports its
// backlog.
func TestBusyCaptureFlowsDuringRun(t *testing.T) {
	cfg, err := config.Parse([]byte("interval_s: 1\n"), "busy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	run := func(faults pdu.Faults) *pipeline.Result {
		sc := pdu.DefaultSenderConfig()
		sc.MinGapNs, sc.BacklogNs = 50e6, 2e9
		res, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: &busySource{n: 24_000, flows: 1_200, t0: 1.7e18, spanNs: 20e9}}}, pipeline.Options{
			Config: cfg, Probes: []probe.Identity{{Name: "busy"}}, Merge: merge,
			Collectors: []pipeline.Collector{{Name: "c", Sender: sc, Faults: faults}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	share := func(res *pipeline.Result) float64 {
		return float64(res.DeliveredDuringRun) / float64(res.Links[0][0].Delivered)
	}
	free := run(pdu.Faults{})
	// Faults that never strike (an outage after the run) make the link a
	// network link: regulated.
	regulated := run(pdu.Faults{Outages: []pdu.Window{{StartNs: 1e15, EndNs: 1e15 + 1}}})
	backlog := 0
	for _, e := range regulated.Batch.Events {
		if e.Kind == pdu.EventBacklog {
			backlog++
		}
	}
	t.Logf("PDUs delivered during the run: %.1f %% unregulated, %.1f %% regulated at 50 ms (%d frames)", 100*share(free), 100*share(regulated), regulated.Links[0][0].Delivered)
	if share(free) < 0.8 || share(regulated) > 0.5 || backlog == 0 || regulated.Senders[0].BacklogEntries == 0 {
		t.Errorf("during the run: %.2f unregulated (want >= 0.8), %.2f regulated (want < 0.5); %d backlog events", share(free), share(regulated), backlog)
	}
	if free.Senders[0].BacklogEntries != 0 {
		t.Errorf("the unregulated loopback reported a backlog")
	}
}
