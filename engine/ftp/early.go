package ftp

import (
	"net/netip"

	"github.com/tmonbench/tmonbench/engine/dissect"
)

// A data connection's SYN may be captured before the reply or command
// that announces its port: the capture point sees the client's SYN leave
// before the server's 227 or 229 arrives (the two directions captured on
// different interfaces and merged out of order, or a client that guesses
// the port), or the server's before the PORT command. Data then knows no
// channel for it, and the connection would start at its SYN-ACK. Data
// remembers the last maxEarlySYNs such SYNs between FTP peers (a SYN
// without ACK that matched nothing) and an announcement takes the first
// one that opens its channel, seen at most earlySYNWindowNs of timer clock
// before it: the transfer then starts at that SYN (ftp_transfers
// start_time is the data connection's SYN), with its ISN. The SYN itself
// was counted by the probe as it came, before any announcement, outside
// the FTP classes: it stays out of them and of Stats.DataPackets.
const (
	maxEarlySYNs     = 8
	earlySYNWindowNs = 2e9
)

// earlySYN is a SYN that matched no channel when it came.
type earlySYN struct {
	src, dst     netip.Addr
	sport, dport uint16
	isn          uint32
	timeNs, clk  int64 // capture time and timer clock
	ok           bool  // held, not taken by a channel
}

// earlySYNs is the ring of remembered SYNs (in Tracker: no allocation).
type earlySYNs struct {
	a    [maxEarlySYNs]earlySYN
	next int // slot the next SYN takes (the oldest)
	d    dissect.Dissection
}

// noteEarlySYN remembers d, a SYN of FTP peers that opened nothing. A copy
// of a SYN held (same tuple and ISN) keeps the first one's time. Taking
// the slot of a SYN still within the window drops it
// (Stats.EarlySYNsDropped).
func (t *Tracker) noteEarlySYN(d *dissect.Dissection) {
	r := &t.early
	clk := d.Meta.Clock()
	for i := range r.a {
		e := &r.a[i]
		if e.ok && e.isn == d.Seq && e.sport == d.SrcPort && e.dport == d.DstPort && e.src == d.SrcAddr && e.dst == d.DstAddr {
			return
		}
	}
	e := &r.a[r.next]
	if e.ok && clk-e.clk <= earlySYNWindowNs {
		t.stats.EarlySYNsDropped++
	}
	*e = earlySYN{src: d.SrcAddr, dst: d.DstAddr, sport: d.SrcPort, dport: d.DstPort, isn: d.Seq,
		timeNs: d.Meta.TimeNs, clk: clk, ok: true}
	r.next = (r.next + 1) % maxEarlySYNs
}

// openEarly opens ch's data connection with the oldest remembered SYN
// that opens it within the window, if any: the connection starts at that
// SYN.
func (t *Tracker) openEarly(ch *channel) {
	r := &t.early
	var best *earlySYN
	for i := range r.a {
		e := &r.a[i]
		if !e.ok || t.clk-e.clk > earlySYNWindowNs || (best != nil && e.clk >= best.clk) {
			continue
		}
		d := &r.d
		d.SrcAddr, d.DstAddr, d.SrcPort, d.DstPort = e.src, e.dst, e.sport, e.dport
		if srcInit, ok := ch.match(d); ok && srcInit {
			best = e
		}
	}
	if best == nil {
		return
	}
	best.ok = false
	d := &r.d
	*d = dissect.Dissection{Flags: dissect.HasTCP, TCPFlags: dissect.TCPSyn, Seq: best.isn,
		SrcAddr: best.src, DstAddr: best.dst, SrcPort: best.sport, DstPort: best.dport}
	d.Meta.TimeNs, d.Meta.ClockNs = best.timeNs, best.clk
	c := t.open(ch, d, true)
	c.last = best.timeNs
	c.span[0].syn(best.isn)
	t.stats.EarlySYNs++
}
