package probe

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/ftp"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/oneway"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/reasm"
	"github.com/tmonbench/tmonbench/engine/rtt"
	"github.com/tmonbench/tmonbench/engine/tcpconn"
)

// Every counter a package keeps reaches the output (design 1.7, 3.13).
//
// Each field of the Stats structs of the probe's packages (tcpconn, rtt,
// ftp, reasm, the one-way signer and encoder, dissect, the probe's own) is
// listed in counterSpecs with how it is reported; a test fails when a
// field is missing (TestEveryCounterReported). Anomalies (perInterval) are
// checked every second of the timer clock and, for each interval in which
// one moved, become one event with the time it was first seen moving and
// its count in the interval. Every field, anomalies included, is written
// at the end of the run in one totals event per package and class
// (tcp_totals, rtt_totals, ftp_totals, reasm_totals, oneway_totals,
// probe_totals): "name=value ..." with the field's snake_case name
// (observe.CounterName).

// how says how a counter reaches the output.
type how uint8

const (
	atEnd       how = iota // in the totals event at the end of the run
	perInterval            // also an event per interval in which it moved (first occurrence, count)
	elsewhere              // reported by another event or column (note says which), and in the totals
)

// counterSpec says how one Stats field is reported.
type counterSpec struct {
	field string
	how   how
	kind  string // event kind (perInterval)
	sev   uint8
	what  string // perInterval: the message after the count; elsewhere: where
}

// counterSpecs lists every field of every Stats struct the probe watches.
var counterSpecs = map[reflect.Type][]counterSpec{
	reflect.TypeFor[tcpconn.Stats](): {
		{field: "Packets"}, {field: "NotTCP"}, {field: "BoundarySkipped"}, {field: "Created"}, {field: "Finished"},
		{field: "Closed"}, {field: "Expired"}, {field: "Flushed"},
		{field: "Evicted", how: perInterval, kind: "tcp_connections_evicted", sev: pdu.SevWarning, what: "TCP connection[s] ended early to make room: connection table full (each a tcp_connections row, or, half-open, counted in tcp_s0_aggregated)"},
		{field: "PortReuses", how: perInterval, kind: "tcp_port_reuse", sev: pdu.SevInfo, what: "SYN[s] started a new connection on a 4-tuple still followed (port reuse)"},
		{field: "Dropped", how: perInterval, kind: "tcp_rows_dropped", sev: pdu.SevError, what: "tcp_connections row[s] lost: too many rows waiting"},
		{field: "HistoryCut", how: perInterval, kind: "tcp_history_cut", sev: pdu.SevInfo, what: "tcp_connections histor[y|ies] cut at 48 letters"},
		{field: "HolesGivenUp", how: perInterval, kind: "tcp_holes_given_up", sev: pdu.SevInfo, what: "TCP sequence hole[s] given up (64 open in one direction, none acknowledged past: counted as missing even if a copy comes later)"},
	},
	reflect.TypeFor[rtt.Stats](): {
		{field: "Requests"}, {field: "Responses"}, {field: "Samples"}, {field: "Ignored"}, {field: "ConnsIdle"},
		{field: "Unanswered", how: elsewhere, what: "flow_counters rtt_unanswered_<kind>"},
		{field: "Retransmits", how: perInterval, kind: "rtt_retransmitted_requests", sev: pdu.SevInfo, what: "request[s] sent again while pending (the response is timed from the latest copy)"},
		{field: "Duplicates", how: perInterval, kind: "rtt_duplicate_responses", sev: pdu.SevInfo, what: "response[s] to an already answered request (not paired)"},
		{field: "Orphans", how: perInterval, kind: "rtt_orphan_responses", sev: pdu.SevInfo, what: "response[s] without a request seen"},
		{field: "Malformed", how: perInterval, kind: "rtt_malformed", sev: pdu.SevWarning, what: "payload[s] that failed to decode"},
		{field: "Unmeasured", how: perInterval, kind: "rtt_unmeasured", sev: pdu.SevInfo, what: "pair[s] without a round trip: response stamped before its request, a clock step between them, or one without a capture time of its own (pcapng Simple Packet Block, impossible time)"},
		{field: "PendingFull", how: perInterval, kind: "rtt_pending_full", sev: pdu.SevWarning, what: "request[s] not followed: pending table full"},
		{field: "ConnsFull", how: perInterval, kind: "rtt_conns_full", sev: pdu.SevWarning, what: "TCP connection[s] not followed for round trips: table full"},
		{field: "StreamGaps", how: perInterval, kind: "rtt_dns_tcp_gaps", sev: pdu.SevInfo, what: "DNS-over-TCP stream gap[s] (stream resynchronised)"},
		{field: "StreamFull", how: perInterval, kind: "rtt_dns_tcp_full", sev: pdu.SevWarning, what: "DNS-over-TCP buffer[s] dropped: byte budget reached"},
		{field: "TSRingFull", how: perInterval, kind: "rtt_tsval_full", sev: pdu.SevInfo, what: "TSval[s] not timed: too many awaiting their echo"},
		{field: "HistFull", how: perInterval, kind: "rtt_histograms_full", sev: pdu.SevWarning, what: "sample[s] not histogrammed: histogram table full"},
		{field: "Pending", how: elsewhere, what: "gauge: requests waiting"}, {field: "Conns", how: elsewhere, what: "gauge: connections followed"},
		{field: "Reports"}, {field: "NTPInterleaved"}, {field: "NTPNotTimed"}, {field: "LinkLocalDNSNotTimed"},
		{field: "AnsweredForgotten", how: perInterval, kind: "rtt_answered_forgotten", sev: pdu.SevInfo, what: "answered request[s] forgotten before their timeout to make room in a full pending table (a duplicate response to one counts as an orphan)"},
	},
	reflect.TypeFor[ftp.Stats](): {
		{field: "Sessions"}, {field: "Commands"}, {field: "Replies"}, {field: "Retransmitted"}, {field: "OutOfOrder"},
		{field: "Announcements"}, {field: "DataConns"}, {field: "DataPackets"}, {field: "Transfers"}, {field: "EarlySYNs"}, {field: "ListenerReuses"}, {field: "ThirdParty"},
		{field: "EarlySYNsDropped", how: perInterval, kind: "ftp_early_syns_dropped", sev: pdu.SevInfo, what: "SYN[s] between FTP peers that matched no channel yet forgotten within 2 s to make room: a data connection announced after its SYN then starts at its SYN-ACK"},
		{field: "SessionsEvicted", how: perInterval, kind: "ftp_sessions_evicted", sev: pdu.SevWarning, what: "FTP session[s] reported early: session table full"},
		{field: "UnpairedReplies", how: perInterval, kind: "ftp_unpaired_replies", sev: pdu.SevInfo, what: "FTP final repl[y|ies] with no command waiting"},
		{field: "BadLines", how: perInterval, kind: "ftp_bad_lines", sev: pdu.SevInfo, what: "FTP control line[s] neither a command nor a reply"},
		{field: "LongLines", how: perInterval, kind: "ftp_long_lines", sev: pdu.SevInfo, what: "FTP control line[s] cut at 2048 bytes"},
		{field: "Holes", how: perInterval, kind: "ftp_control_gaps", sev: pdu.SevWarning, what: "FTP control stream gap[s] skipped (bytes never captured)"},
		{field: "Encrypted", how: perInterval, kind: "ftp_encrypted", sev: pdu.SevInfo, what: "FTP session[s] switched to TLS (AUTH, RFC 4217): no longer parsed"},
		{field: "BadAnnouncement", how: perInterval, kind: "ftp_bad_announcements", sev: pdu.SevWarning, what: "FTP data-channel announcement[s] (227, 229, PORT, EPRT) that did not parse"},
		{field: "AddrMismatch", how: perInterval, kind: "ftp_announced_address_mismatch", sev: pdu.SevInfo, what: "FTP data channel[s] announced with an address other than the control peer's (a NAT in the path: pure-ftpd#175)"},
		{field: "ExpectRefused", how: perInterval, kind: "ftp_announcements_refused", sev: pdu.SevWarning, what: "FTP announcement[s] not learnt: too many channels expected"},
		{field: "ExpectExpired", how: perInterval, kind: "ftp_announcements_unused", sev: pdu.SevInfo, what: "FTP announcement[s] forgotten without data connection or transfer"},
		{field: "UnboundData", how: perInterval, kind: "ftp_unbound_data", sev: pdu.SevInfo, what: "FTP data connection[s] no transfer command claimed"},
		{field: "TransfersLost", how: perInterval, kind: "ftp_transfers_lost", sev: pdu.SevError, what: "ftp_transfers row[s] lost: too many waiting in one session"},
	},
	reflect.TypeFor[reasm.Stats](): {
		{field: "Fragments"}, {field: "Datagrams", how: elsewhere, what: "flow_counters ip_reassembled"},
		{field: "Timeouts", how: elsewhere, what: "ip_reassembly_incomplete events"}, {field: "Flushed", how: elsewhere, what: "ip_reassembly_incomplete events"},
		{field: "Discarded", how: elsewhere, what: "ip_reassembly_incomplete events (overlap)"},
		{field: "Reused", how: elsewhere, what: "ip_reassembly_incomplete events (id_reused)"},
		{field: "TooLong", how: elsewhere, what: "ip_reassembly_oversize events"}, {field: "Oversize", how: elsewhere, what: "ip_reassembly_oversize events"},
		{field: "Overlaps", how: perInterval, kind: "ip_fragment_overlaps", sev: pdu.SevInfo, what: "IP fragment[s] overlapping data held (IPv4: the first data received wins; IPv6: datagram discarded, RFC 5722)"},
		{field: "Duplicates", how: perInterval, kind: "ip_fragment_duplicates", sev: pdu.SevInfo, what: "IP fragment[s] repeating one already held (ignored) or one of a datagram reassembled (late copies)"},
		{field: "Unaligned", how: perInterval, kind: "ip_fragments_unaligned", sev: pdu.SevInfo, what: "IPv4 non-last fragment[s] not a multiple of 8 bytes (trimmed, as Linux)"},
		{field: "Evictions", how: perInterval, kind: "ip_reassembly_evictions", sev: pdu.SevWarning, what: "datagram[s] in reassembly given up: too many at once"},
		{field: "Truncated", how: perInterval, kind: "ip_fragments_truncated", sev: pdu.SevWarning, what: "datagram[s] given up: a fragment captured short (snap length)"},
		{field: "ShortChain", how: perInterval, kind: "ip_fragments_incomplete_chain", sev: pdu.SevWarning, what: "IPv6 datagram[s] given up: the first fragment lacks part of the header chain through the upper-layer header (RFC 7112; Linux drops it)"},
		{field: "TooMany", how: perInterval, kind: "ip_reassembly_too_many_fragments", sev: pdu.SevWarning, what: "datagram[s] given up: too many fragments"},
		{field: "Malformed", how: perInterval, kind: "ip_fragments_malformed", sev: pdu.SevWarning, what: "IP fragment[s] with inconsistent headers (dropped)"},
	},
	reflect.TypeFor[oneway.SignerStats](): {
		{field: "Signed"}, {field: "NotIP"}, {field: "Fragments"},
		{field: "Truncated", how: perInterval, kind: "oneway_truncated", sev: pdu.SevWarning, what: "one-way packet[s] captured short: signed over the captured bytes only"},
	},
	reflect.TypeFor[oneway.EncoderStats](): {
		{field: "Observations"}, {field: "Records"}, {field: "Bytes", how: elsewhere, what: "pdu_stats bytes"},
		{field: "ObservedBytes", how: elsewhere, what: "pdu_stats observed_bytes"},
	},
	reflect.TypeFor[dissect.Stats](): {
		{field: "Packets"}, {field: "IP"}, {field: "NotIP"}, {field: "Malformed"},
		{field: "Kinds", how: elsewhere, what: "packet_anomalies and malformed_packets events per interval"},
	},
	reflect.TypeFor[Stats](): {
		{field: "Packets"}, {field: "Bytes"}, {field: "IP"}, {field: "NotIP"}, {field: "Malformed"}, {field: "Matched"},
		{field: "Anomalies", how: elsewhere, what: "packet_anomalies events per interval, and replay's summary"},
		{field: "Flows"}, {field: "Expired"}, {field: "Intervals"},
		{field: "Evicted", how: elsewhere, what: "flows_evicted events"},
		{field: "Reassembled", how: elsewhere, what: "flow_counters ip_reassembled"},
		{field: "Reasm", how: elsewhere, what: "reasm_totals and the reasm events"},
		{field: "FragsNotHeld", how: perInterval, kind: "ip_fragments_not_held", sev: pdu.SevWarning, what: "early fragment[s] counted without their datagram's ports: too many held"},
		{field: "ClockStepsBack", how: elsewhere, what: "capture_time_backwards events"}, {field: "Reordered", how: elsewhere, what: "capture_time_backwards events"},
		{field: "ClockJumps", how: elsewhere, what: "capture_time_jump events"}, {field: "TimeInvalid", how: elsewhere, what: "capture_time_invalid events"},
	},
}

// watchSlot is one perInterval counter of one source (and array element).
type watchSlot struct {
	spec      *counterSpec
	src       *statSource
	index     []int // field index in the Stats struct
	elem      int   // array element (rtt kinds), -1 for a plain counter
	elemName  string
	base, now uint64 // value at the interval start, latest value
	firstNs   int64  // capture time it was first seen moving in the interval (0: not)
}

// statSource is one Stats struct of the probe: its totals event kind, the
// class it belongs to ("" probe-wide) and how to read it.
type statSource struct {
	kind  string // totals event kind
	class string
	read  func() any // returns the Stats value
	typ   reflect.Type
	value reflect.Value // read by readSources at the run's end (the totals events; a worker's: shard.final)
	// fill reads the Stats value into cur (addressable, of type typ), as
	// watchCounters does every second of capture time: read boxed it
	// into a new any each time (issue 14: 288 of the 12.8k allocations
	// of the 5M corpus's steady state).
	fill func()
	cur  reflect.Value
}

// addSource lists one Stats source of type T read by read, and its
// watched slots.
func addSource[T any](p *Probe, kind, class string, read func() T) {
	cur := new(T)
	s := &statSource{kind: kind, class: class, read: func() any { return read() }, typ: reflect.TypeFor[T](),
		fill: func() { *cur = read() }, cur: reflect.ValueOf(cur).Elem()}
	p.sources = append(p.sources, s)
	for i := range counterSpecs[s.typ] {
		sp := &counterSpecs[s.typ][i]
		if sp.how != perInterval {
			continue
		}
		f, _ := s.typ.FieldByName(sp.field)
		if f.Type.Kind() == reflect.Array {
			for e := range f.Type.Len() {
				p.slots = append(p.slots, watchSlot{spec: sp, src: s, index: f.Index, elem: e, elemName: elemName(s.typ, e)})
			}
			continue
		}
		p.slots = append(p.slots, watchSlot{spec: sp, src: s, index: f.Index, elem: -1})
	}
}

// initCounters lists the probe's Stats sources and their watched slots.
func (p *Probe) initCounters() {
	addSource(p, "probe_totals", "", p.Stats)
	addSource(p, "dissect_totals", "", func() dissect.Stats { return p.dis.Stats }) // a worker's: the packets it owns (shard.dissect)
	addSource(p, "reasm_totals", "", p.reasm.Stats)
	for ci := range p.classes {
		c := &p.classes[ci]
		name := c.cfg.Name
		if c.tcp != nil {
			addSource(p, "tcp_totals", name, c.tcp.Stats)
		}
		if c.rtt != nil {
			addSource(p, "rtt_totals", name, c.rtt.Stats)
		}
		if c.ftp != nil {
			addSource(p, "ftp_totals", name, c.ftp.Stats)
		}
		if c.ow != nil {
			addSource(p, "oneway_totals", name, func() oneway.SignerStats { return c.ow.signer.Stats })
			addSource(p, "oneway_totals", name, func() oneway.EncoderStats { return c.ow.enc.Stats })
		}
	}
}

// readSources reads every source once.
func (p *Probe) readSources() {
	for _, s := range p.sources {
		s.value = reflect.ValueOf(s.read())
	}
}

// value reads the slot's counter from its source's cur (statSource.fill).
func (w *watchSlot) value() uint64 {
	v := w.src.cur.FieldByIndex(w.index)
	if w.elem >= 0 {
		v = v.Index(w.elem)
	}
	return v.Uint()
}

// watchCounters notes the anomalies that moved since the last check (every
// second of the timer clock): the first time one moves in an interval is
// its first occurrence, to within that second of capture time.
func (p *Probe) watchCounters() {
	if len(p.slots) == 0 {
		return
	}
	for _, s := range p.sources {
		s.fill()
	}
	for i := range p.slots {
		w := &p.slots[i]
		if v := w.value(); v != w.now {
			w.now = v
			if w.firstNs == 0 {
				w.firstNs = p.nowNs
			}
		}
	}
}

// slotChange is one anomaly counter that moved in an interval: its slot
// (index into Probe.slots), the capture time it was first seen moving and
// by how much it moved.
type slotChange struct {
	slot    int
	firstNs int64
	n       uint64
}

// counterChanges returns, at the end of an interval, each anomaly that
// moved in it, and starts the next interval.
func (p *Probe) counterChanges() []slotChange {
	p.watchCounters()
	var out []slotChange
	for i := range p.slots {
		w := &p.slots[i]
		if w.now == w.base {
			w.firstNs = 0
			continue
		}
		out = append(out, slotChange{slot: i, firstNs: w.firstNs, n: w.now - w.base})
		w.base, w.firstNs = w.now, 0
	}
	return out
}

// slotEvent reports anomaly slot i's move in an interval: one event at its
// first occurrence with its count.
func (p *Probe) slotEvent(out pdu.Publisher, i int, firstNs int64, n uint64) {
	w := &p.slots[i]
	var b strings.Builder
	if w.src.class != "" {
		fmt.Fprintf(&b, "class %s: ", w.src.class)
	}
	b.WriteString(pkt.Nouns(n, fmt.Sprintf("%d %s", n, w.spec.what)))
	if w.elem >= 0 {
		fmt.Fprintf(&b, " (%s)", w.elemName)
	}
	fmt.Fprintf(&b, " in the interval, first by %s", time.Unix(0, firstNs).UTC().Format(time.RFC3339Nano))
	appendEvent(out, firstNs, w.spec.sev, w.spec.kind, b.String(), n)
}

// totalsText is the message of source s's totals event for its value v.
func totalsText(s *statSource, v reflect.Value) string {
	var b strings.Builder
	if s.class != "" {
		fmt.Fprintf(&b, "class %s:", s.class)
	}
	for _, sp := range counterSpecs[s.typ] {
		f := v.FieldByName(sp.field)
		switch f.Kind() {
		case reflect.Array:
			for e := range f.Len() {
				if n := f.Index(e).Uint(); n > 0 {
					fmt.Fprintf(&b, " %s_%s=%d", observe.CounterName(sp.field), elemName(s.typ, e), n)
				}
			}
		case reflect.Struct:
			// nested Stats (probe's Reasm): its own source reports it
		case reflect.Int:
			fmt.Fprintf(&b, " %s=%d", observe.CounterName(sp.field), f.Int())
		default:
			fmt.Fprintf(&b, " %s=%d", observe.CounterName(sp.field), f.Uint())
		}
	}
	return strings.TrimSpace(b.String())
}

// elemName names element e of an array counter: an rtt kind or a
// dissect kind.
func elemName(t reflect.Type, e int) string {
	if t == reflect.TypeFor[dissect.Stats]() {
		return dissect.Kind(e).String()
	}
	return rtt.Kind(e).String()
}
