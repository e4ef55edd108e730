package probe_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/collector"
	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/internal/capgen"
	"github.com/tmonbench/tmonbench/replay"
)

// script is a pkt.Source that plays a capture's packets, inserting idle
// waits (pkt.ErrIdle) after chosen packets, and ends with err.
type script struct {
	src    pkt.Source
	idleAt map[int]int // packet index -> idle waits after it
	n      int
	idle   int
	end    error
}

func (s *script) Next() ([]byte, pkt.Meta, error) {
	if s.idle > 0 {
		s.idle--
		return nil, pkt.Meta{}, pkt.ErrIdle
	}
	data, m, err := s.src.Next()
	if err == io.EOF && s.end != nil {
		return nil, pkt.Meta{}, s.end
	}
	if err != nil {
		return nil, m, err
	}
	s.idle = s.idleAt[s.n]
	s.n++
	return data, m, nil
}

func (s *script) Close() error { return s.src.Close() }

// loopProbe returns a probe "live" of the default config whose PDUs go
// to a collector through a pdu.Loopback, and that collector.
func loopProbe(t *testing.T) (*probe.Probe, *collector.Collector) {
	t.Helper()
	return loopProbeOf(t, config.Default(), "live")
}

// loopProbeOf is loopProbe with config cfg and probe name name.
func loopProbeOf(t *testing.T, cfg *config.Config, name string) (*probe.Probe, *collector.Collector) {
	t.Helper()
	coll, err := collector.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	l := &pdu.Loopback{Deliver: coll.Handle}
	p, err := probe.New(probe.Identity{Name: name}, cfg, []probe.Channel{{Link: l, Config: pdu.DefaultSenderConfig()}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.Ack = p.Senders()[0].HandleAck
	return p, coll
}

// runProbe runs probe.Run over src into an in-process collector and
// returns the probe and the collector's rows' events.
func runProbe(t *testing.T, src pkt.Source, opt probe.RunOptions) (*probe.Probe, []string, probe.RunResult) {
	t.Helper()
	p, coll := loopProbe(t)
	res, err := p.Run(context.Background(), src, opt)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range coll.Finish().Events {
		kinds = append(kinds, e.Kind)
	}
	return p, kinds, res
}

// TestRunIdleAdvancesClock: a live source with no traffic for a while
// (pkt.ErrIdle) still moves the probe clock with the wall clock, so the
// channel keeps sending heartbeats (design 3.14) and intervals close; a
// replayed capture's packets all reach the probe.
func TestRunIdleAdvancesClock(t *testing.T) {
	path := filepath.Join(samplesDir(t), "pcap", "mixed", "zeek_wikipedia.pcap") // 136 packets, 6.4 s
	for _, idle := range []bool{false, true} {
		f, err := replay.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		src := &script{src: f, idleAt: map[int]int{}}
		wall := int64(0)
		var first int64
		if idle {
			src.idleAt[0] = 30 // 30 idle waits of 2 s each after the first packet
		}
		opt := probe.RunOptions{Wall: func() int64 {
			if first == 0 {
				return 0
			}
			wall += 2e9
			return first + wall
		}}
		opt.Pace = func(_ context.Context, timeNs int64) error {
			if first == 0 {
				first = timeNs
			}
			return nil
		}
		p, _, res := runProbe(t, src, opt)
		f.Close()
		hb := p.Senders()[0].Stats().Heartbeats
		if res.Packets != 136 || p.Stats().Packets != 136 {
			t.Errorf("idle %v: %d packets read, %d handled; want 136 (capinfos)", idle, res.Packets, p.Stats().Packets)
		}
		if idle && (hb < 5 || p.Stats().Intervals == 0) {
			t.Errorf("60 s of idle wall clock: %d heartbeats, %d intervals closed; want >= 5 (every 10 s) and >= 1", hb, p.Stats().Intervals)
		}
		if !idle && hb != 0 {
			t.Errorf("no idle time: %d heartbeats", hb)
		}
	}
}

// TestRunDamagedSource: a source that fails after its packets ends the
// run like EOF, with a capture_damaged event and the Damaged callback.
func TestRunDamagedSource(t *testing.T) {
	f, err := replay.Open(filepath.Join(samplesDir(t), "pcap", "mixed", "zeek_wikipedia.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var told error
	cut := errors.New("cut here")
	_, kinds, res := runProbe(t, &script{src: f, end: cut}, probe.RunOptions{Damaged: func(err error) { told = err }})
	if told != cut || !strings.Contains(strings.Join(kinds, " "), "capture_damaged") || res.Packets != 136 || res.Unacked != 0 {
		t.Errorf("damaged: told %v, events %v, %d packets, %d unacked", told, kinds, res.Packets, res.Unacked)
	}
}

// TestRunSnapshot: probe.Run publishes snapshots (RunOptions.Snapshot, for
// --metrics and the TUI) while it runs and a final one (Done) with the
// probe's counters: zeek_wikipedia.pcap has 136 packets (capinfos), every
// PDU acknowledged by the in-process collector, and the busiest flows of
// the last interval with their packets.
func TestRunSnapshot(t *testing.T) {
	f, err := replay.Open(filepath.Join(samplesDir(t), "pcap", "mixed", "zeek_wikipedia.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var latest observe.Latest
	var seen int
	var wall int64
	opt := probe.RunOptions{Snapshot: &latest, PollEvery: 8, Wall: func() int64 {
		wall += 1e9 // every call a second later: a snapshot at every poll
		if latest.Snapshot() != nil {
			seen++
		}
		return wall
	}, Kernel: func(in []observe.InputCounters) { in[0].KernelDrops = 0 }}
	p, _, res := runProbe(t, f, opt)
	s := latest.Snapshot()
	if s == nil || !s.Done || s.State != "probing" || seen == 0 {
		t.Fatalf("final snapshot %+v, %d seen while running", s, seen)
	}
	if len(s.Inputs) != 1 || s.Inputs[0].Packets != 136 || s.Inputs[0].Bytes != res.Bytes || s.Inputs[0].KernelDrops != 0 || s.Inputs[0].KernelPackets != -1 {
		t.Errorf("inputs %+v, want 136 packets, %d bytes, kernel drops 0 (Kernel), kernel packets unknown", s.Inputs, res.Bytes)
	}
	st := p.Stats()
	if len(s.Probes) != 1 || s.Probes[0].Packets != 136 || s.Probes[0].Flows != st.Flows || s.Probes[0].IP != st.IP {
		t.Errorf("probes %+v, want the probe's stats %+v", s.Probes, st)
	}
	if len(s.Channels) != 1 || s.Channels[0].Unacked != 0 || s.Channels[0].Acked != p.Senders()[0].Stats().Acked || s.Channels[0].Sent == 0 {
		t.Errorf("channels %+v", s.Channels)
	}
	var pk uint64 // class "all" of the default config: every packet once
	for i, fl := range s.Flows {
		if fl.Class == "all" {
			pk += fl.Packets
		}
		if i > 0 && fl.Bytes > s.Flows[i-1].Bytes {
			t.Errorf("flows not largest first: %+v", s.Flows)
		}
	}
	// The capture's 6.4 s lie in one 60 s interval: its flows of class all
	// hold every IP packet (fewer than SnapshotFlows flows).
	if len(s.Flows) == 0 || pk != st.IP {
		t.Errorf("last interval flows of class all hold %d packets, want the %d IP packets: %+v", pk, st.IP, s.Flows)
	}
}

// TestLifecycleLog: the logger given to probe.New receives the lifecycle
// messages (probe_start, probe_stop), nothing per packet: 136 packets of
// zeek_wikipedia.pcap give two lines.
func TestLifecycleLog(t *testing.T) {
	f, err := replay.Open(filepath.Join(samplesDir(t), "pcap", "mixed", "zeek_wikipedia.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	l := &pdu.Loopback{Deliver: func([]byte) []byte { return nil }}
	p, err := probe.New(probe.Identity{Name: "live"}, config.Default(), []probe.Channel{{Link: l, Config: pdu.DefaultSenderConfig()}}, slog.New(slog.NewTextHandler(&buf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(context.Background(), f, probe.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "kind=probe_start") || !strings.Contains(lines[1], "kind=probe_stop") || !strings.Contains(lines[1], "136 packets") {
		t.Errorf("log:\n%s\nwant probe_start, then probe_stop with 136 packets", buf.String())
	}
}

// heldLink delivers frames to a collector at once and keeps the
// acknowledgements until polled, as a UDP link does (pdu.UDPLink).
type heldLink struct {
	deliver func([]byte) []byte
	acks    [][]byte
	polls   int
}

func (h *heldLink) Send(frame []byte) {
	if ack := h.deliver(frame); ack != nil {
		h.acks = append(h.acks, append([]byte(nil), ack...))
	}
}

func (h *heldLink) Poll(s *pdu.Sender, _ int64) int {
	h.polls++
	n := len(h.acks)
	for _, a := range h.acks {
		s.HandleAck(a)
	}
	h.acks = h.acks[:0]
	return n
}

// sparseCapture is 61 UDP datagrams 15 s apart (15 minutes).
func sparseCapture(t *testing.T) pkt.Source {
	t.Helper()
	var frames []capgen.Frame
	for i := range 61 {
		u := capgen.UDP{Src: capgen.AP("192.0.2.1:4000"), Dst: capgen.AP("198.51.100.2:9"), Payload: make([]byte, 20)}
		frames = append(frames, capgen.Frame{TimeNs: capgen.Base + int64(i)*15e9, Data: u.Frame()})
	}
	data := capgen.PCAP(frames, true)
	src, err := replay.NewReader(bytes.NewReader(data), "sparse.pcap", int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// TestPacedReplayPollsAcks: a paced probe process replaying a sparse
// capture (61 UDP datagrams 15 s apart, one PDU or more per packet) reads
// the acknowledgements that came during each wait before the next packet
// moves its clock, so no PDU is retransmitted over a link that loses
// nothing. Polling only every PollEvery (64) packets, as before, made
// 2,335 retransmissions of 131 PDUs on such a capture
// (TestReplayedFramesTwoProcesses).
func TestPacedReplayPollsAcks(t *testing.T) {
	src := sparseCapture(t)
	coll, err := collector.New(config.Default(), nil)
	if err != nil {
		t.Fatal(err)
	}
	link := &heldLink{deliver: coll.Handle}
	p, err := probe.New(probe.Identity{Name: "sparse"}, config.Default(), []probe.Channel{{Link: link, Config: pdu.DefaultSenderConfig()}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	paced := 0
	res, err := p.Run(context.Background(), src, probe.RunOptions{Acks: []probe.AckSource{link},
		Pace: func(context.Context, int64) error { paced++; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	st := p.Senders()[0].Stats()
	if res.Packets != 61 || paced < 61 {
		t.Fatalf("%d packets, %d pace waits; want 61 packets, a wait at least per packet", res.Packets, paced)
	}
	if st.Retransmits != 0 || link.polls < 61 {
		t.Errorf("%d PDUs acknowledged, %d retransmitted, %d polls: want no retransmission and a poll per paced wait", st.Acked, st.Retransmits, link.polls)
	}
}

// TestPacedSameRows: the clock steps and acknowledgement polls of a paced
// replay change no row: the lab captures paced (every wait of more than
// a second walked in 1 s steps) and at full speed give the same flows,
// counters, histograms, TCP connections, RTT samples and FTP records
// (on the sparse capture of TestPacedReplayPollsAcks too: 900 s walked).
func TestPacedSameRows(t *testing.T) {
	steps := 0 // clock steps inside waits, over every capture
	for _, rel := range []string{"lab/dns-snmp-ntp/A.pcap", "lab/tcp-mix/A.pcap", "lab/ftp/A.pcap", "pcap/mixed/zeek_wikipedia.pcap", "sparse"} {
		var got [2]*observe.Batch
		for i, paced := range []bool{false, true} {
			var f pkt.Source
			if rel == "sparse" {
				f = sparseCapture(t)
			} else {
				var err error
				if f, err = replay.Open(filepath.Join(samplesDir(t), rel)); err != nil {
					t.Fatal(err)
				}
			}
			coll, err := collector.New(config.Default(), nil)
			if err != nil {
				t.Fatal(err)
			}
			link := &heldLink{deliver: coll.Handle}
			p, err := probe.New(probe.Identity{Name: "A"}, config.Default(), []probe.Channel{{Link: link, Config: pdu.DefaultSenderConfig()}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			opt := probe.RunOptions{Acks: []probe.AckSource{link}}
			waits := 0
			if paced {
				opt.Pace = func(context.Context, int64) error { waits++; return nil }
			}
			res, err := p.Run(context.Background(), f, opt)
			if err != nil {
				t.Fatal(err)
			}
			if paced {
				steps += waits - int(res.Packets)
			}
			f.Close()
			link.Poll(p.Senders()[0], 0)
			got[i] = coll.Finish()
		}
		a, b := got[0], got[1]
		for name, eq := range map[string]bool{
			"flows":           reflect.DeepEqual(a.Flows, b.Flows),
			"flow_counters":   reflect.DeepEqual(a.FlowCounters, b.FlowCounters),
			"size_histograms": reflect.DeepEqual(a.SizeHistograms, b.SizeHistograms),
			"tcp_connections": reflect.DeepEqual(a.TCPConnections, b.TCPConnections),
			"rtt_samples":     reflect.DeepEqual(a.RTTSamples, b.RTTSamples),
			"rtt_histograms":  reflect.DeepEqual(a.RTTHistograms, b.RTTHistograms),
			"ftp_sessions":    reflect.DeepEqual(a.FTPSessions, b.FTPSessions),
			"ftp_transfers":   reflect.DeepEqual(a.FTPTransfers, b.FTPTransfers),
		} {
			if !eq {
				t.Errorf("%s: %s differ between full speed and paced", rel, name)
			}
		}
		if len(a.FlowCounters) == 0 {
			t.Errorf("%s: no flow_counters rows", rel)
		}
	}
	if steps == 0 {
		t.Error("no wait was walked in steps: the test shows nothing")
	}
	t.Logf("%d clock steps inside waits", steps)
}
