package pipeline_test

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
	"github.com/tmonbench/tmonbench/replay"
)

// TestOutageOriginFirstValidTime: a link outage's start counts from the
// run's first capture time (Result.FirstNs), the first packet with a
// valid time, not from a packet before it stamped after 2116
// (capture_time_invalid: no time of the run). The capture: one such
// packet, then a UDP datagram every 100 ms for 30 s; the outage 5 s to
// 15 s after the first valid packet cuts the link to "cut" for 10 s, so
// its sender retransmits and enters long retry mode (3 s final timeout)
// as in TestOutageLongerThanFinalTimeout. Counted from the invalid time,
// the window fell 93 years later: the link stayed up.
func TestOutageOriginFirstValidTime(t *testing.T) {
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	c, s := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.2")
	write := func(ns int64, port uint16) {
		data := capgen.UDP{Src: netip.AddrPortFrom(c, port), Dst: netip.AddrPortFrom(s, 9), Payload: make([]byte, 20)}.Frame()
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(0, ns), CaptureLength: len(data), Length: len(data)}, data); err != nil {
			t.Fatal(err)
		}
	}
	write(pkt.MaxTimeNs+1e9, 999)
	for k := range int64(300) {
		write(capgen.Base+k*1e8, uint16(1000+k%50))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f, err := replay.NewReader(bytes.NewReader(buf.Bytes()), "origin.pcapng", int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.IntervalS = 1
	tight := tightSender(1e9)
	res := runToCollectors(t, f, cfg,
		pipeline.Collector{Name: "perfect", Sender: tight},
		pipeline.Collector{Name: "cut", Sender: tight, Faults: pdu.Faults{Outages: []pdu.Window{{StartNs: 5e9, EndNs: 15e9}}}},
	)
	if res.FirstNs != capgen.Base {
		t.Errorf("FirstNs %d, want %d (the first valid packet)", res.FirstNs, capgen.Base)
	}
	if p, c := res.Senders[0], res.Senders[1]; p.Retransmits != 0 || c.Retransmits == 0 || c.LongRetryEntries != 1 {
		t.Errorf("retransmissions %d without the outage, %d behind it (long retry entries %d, want 1)", p.Retransmits, c.Retransmits, c.LongRetryEntries)
	}
}
