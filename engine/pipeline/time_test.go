package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/internal/capgen"
	"github.com/tmonbench/tmonbench/replay"
)

// endOfTimeCapture writes, with pcapgo (ns resolution), a pcapng of 200 s
// of traffic in 2023 (an echo pair 2 ms apart, a UDP datagram every 10 s),
// then a packet stamped 1 s before the end of int64 nanoseconds (year
// 2262; issue 15.7, issue 13.8: such a mutant made the PDU sender's
// heartbeat arithmetic overflow, and replay spin forever ignoring SIGTERM)
// and two packets at pkt.MaxTimeNs (2116, the latest time the probe
// accepts): a jump of 93 years. The capture is committed as
// testdata/end-of-time.pcapng (capgen.Golden: -update rewrites it).
func endOfTimeCapture(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	c, s := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.2")
	udp := func(port uint16) []byte {
		return capgen.UDP{Src: netip.AddrPortFrom(c, port), Dst: netip.AddrPortFrom(s, 9), Payload: make([]byte, 20)}.Frame()
	}
	type frame struct {
		ns   int64
		data []byte
	}
	frames := []frame{
		{capgen.Base, capgen.ICMPEcho{Src: c, Dst: s, ID: 7, Seq: 1, Payload: make([]byte, 56)}.Frame()},
		{capgen.Base + 2e6, capgen.ICMPEcho{Src: s, Dst: c, Reply: true, ID: 7, Seq: 1, Payload: make([]byte, 56)}.Frame()},
	}
	for k := range int64(21) { // 200 s of traffic: intervals close, PDUs wait for acks
		frames = append(frames, frame{capgen.Base + 3e6 + k*10e9, udp(1000)})
	}
	frames = append(frames, frame{math.MaxInt64 - 1e9, udp(1001)}, frame{pkt.MaxTimeNs - 1e9, udp(1002)}, frame{pkt.MaxTimeNs, udp(1003)})
	for _, fr := range frames {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, fr.ns), CaptureLength: len(fr.data), Length: len(fr.data)}
		if err := w.WritePacket(ci, fr.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	path, err := filepath.Abs(capgen.Golden(t, "testdata/end-of-time.pcapng", buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// runEndOfTime replays the capture to two collectors with the default
// regulation, the link to the second down for the whole run (its PDUs
// wait in long retry mode across the 93-year jump, and settling would
// retry them for an hour of probe time).
func runEndOfTime(ctx context.Context, t *testing.T, path string, pace func(context.Context, int64) error) (*pipeline.Result, error) {
	t.Helper()
	f, err := replay.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	def := pdu.DefaultSenderConfig()
	return pipeline.Run(ctx, []pipeline.Input{{Source: f}}, pipeline.Options{
		Config: config.Default(), Probes: []probe.Identity{{Name: "A"}}, Merge: merge, Pace: pace,
		Collectors: []pipeline.Collector{
			{Name: "up", Sender: def},
			{Name: "down", Sender: def, Faults: pdu.Faults{Outages: []pdu.Window{{StartNs: 0, EndNs: math.MaxInt64}}}},
		},
	})
}

// TestEndOfTimeReplay (issue 15.7, issue 13.8): a pcapng with a packet
// stamped near 2^63 ns replays in bounded time: the packet is taken at the
// previous packet's time (capture_time_invalid), the 93-year jump to 2116
// is a capture_time_jump, every packet is counted, the echo pair is
// measured (2 ms), and the channel whose link is down did a bounded number
// of sends across the jump (stepping 93 years at the 10 s heartbeat would
// be 2.9e8 heartbeats; the sender sends at most 361 per silence and
// retries a PDU at most 361 times per silence). A context cancelled
// during the replay stops it, settling included: the run returns
// context.Canceled with the down link's PDUs still pending, instead of
// retrying them for an hour of probe time.
func TestEndOfTimeReplay(t *testing.T) {
	path := endOfTimeCapture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang fails here
	defer cancel()
	res, err := runEndOfTime(ctx, t, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range res.Batch.Events {
		kinds[e.Kind]++
	}
	if kinds["capture_time_invalid"] != 1 || kinds["capture_time_jump"] != 1 {
		t.Errorf("events %v: want one capture_time_invalid (frame 4) and one capture_time_jump (frame 5)", kinds)
	}
	if pt := res.ProbeTotals(); pt.Packets != 26 {
		t.Errorf("%d packets counted, want 26", pt.Packets)
	}
	var echo []float64
	for _, s := range res.Batch.RTTSamples {
		if s.Kind == "icmp_echo" {
			echo = append(echo, s.RTTMs)
		}
	}
	if len(echo) != 1 || echo[0] != 2 {
		t.Errorf("icmp_echo rtt_ms %v, want [2]", echo)
	}
	up, down := res.Senders[0], res.Senders[1]
	if up.Unacked != 0 {
		t.Errorf("%d PDUs unacknowledged over the working link", up.Unacked)
	}
	if down.Heartbeats+down.Retransmits > 20_000 || down.LongRetryEntries != 1 {
		t.Errorf("down link: %d heartbeats, %d retransmissions, %d long retry entries: want a bounded number of sends and one long retry episode", down.Heartbeats, down.Retransmits, down.LongRetryEntries)
	}
	if down.Unacked == 0 {
		t.Error("nothing pending over a link down for the whole run")
	}

	// Cancelled at the packet of 2116: the run stops without settling.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	res2, err := runEndOfTime(ctx2, t, path, func(_ context.Context, timeNs int64) error {
		if timeNs == pkt.MaxTimeNs {
			cancel2()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || !res2.Interrupted {
		t.Fatalf("cancelled run: error %v, interrupted %v", err, res2.Interrupted)
	}
	if d := res2.Senders[1]; d.Unacked == 0 || d.LongRetryNs >= down.LongRetryNs {
		t.Errorf("cancelled run settled anyway: %d PDUs pending, %v in long retry mode (the full run: %v)",
			d.Unacked, time.Duration(d.LongRetryNs), time.Duration(down.LongRetryNs))
	}
}
