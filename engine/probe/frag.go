package probe

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/filter"
	"github.com/tmonbench/tmonbench/engine/flow"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/reasm"

	"github.com/tmonbench/tmonbench/engine/pdu"
)

// IP fragments in the probe (design 3.2, 3.8).
//
// Every fragment counts one packet, with its own IP bytes, in the flows of
// its datagram: the classes and ports of the datagram's first fragment
// (offset 0), which later fragments cannot be sieved for (they carry no
// transport header). A non-first fragment captured before the first one
// (gopacket#266: reordering, or Linux sending the last fragment first) is
// held, not counted, until the first fragment arrives, and is then counted
// in the first fragment's flows: a flow the first fragment creates starts
// at the earliest fragment's capture time (flows.first_seen), and the
// held fragments count in the interval of the first fragment, when their
// flow became known (a datagram straddling an interval boundary counts
// whole in the later one); if the first never comes (the datagram
// expires), the held fragments are counted in the flows their IP header
// alone gives (no ports), as tcpdump would sieve them, when it expires:
// in the interval current reassembly.timeout_s (IPv6: ipv6_timeout_s) after the earliest
// fragment, a later one than their capture time's when an interval
// closed in between (flows.first_seen keeps their capture time). At most
// maxHeldFrags fragments are held at once; beyond that they are counted
// at once, port-less (Stats.FragsNotHeld). Once a datagram is reassembled,
// a later fragment with its key (addresses, protocol, identifier) is held
// the same way: it may start another datagram reusing the identifier, and
// follows that datagram's first fragment when it comes; otherwise (a late
// duplicate) it counts in the reassembled datagram's flows, and when the
// reassembler gives it up as a copy of one of that datagram's fragments
// (engine/reasm done.go: ReasonLateCopies) as ip_fragment_duplicates, no
// ip_reassembly_failures nor ip_reassembly_incomplete event.
//
// l4_payload_bytes counts each byte of a datagram's transport payload in
// the fragment that carries it, not in the reassembled datagram: a fragment
// counts the payload bytes it carries (the first one its IP payload minus
// the transport header, whatever the UDP length announces for the whole
// datagram: tcpdump#602); the rest of a TCP header a tiny first fragment
// cut (RFC 1858 §3.1: 8 bytes of it) is no payload in the fragment that
// carries it, once a fragment showed the data offset. A duplicate or
// overlapping fragment counts its bytes again, as its packets and
// ip_bytes do: the counters say what crossed the link, the reassembly
// counters what was made of it.
//
// Per datagram, in its flows: ip_reassembled (rebuilt from its fragments),
// ip_reassembly_failures (never completed: timeout, eviction, truncated
// fragment, IPv6 overlap, too many fragments, IPv4 identification
// reused by another datagram, IPv6 first fragment without the whole
// header chain: RFC 7112), ip_reassembly_oversize (a
// fragment would take it beyond 65535 bytes: zeek#5911's ping of death,
// also an ip_reassembly_oversize event, never an incomplete one), and per
// fragment ip_fragment_duplicates and ip_fragment_overlaps (overlap policy,
// engine/reasm: IPv4 keeps the first data received for every byte and the
// first last fragment's length; IPv6 discards the datagram, RFC 5722).

// maxHeldFrags bounds the early non-first fragments held at once.
const maxHeldFrags = 4096

// fragKey identifies the datagram a fragment belongs to (design 3.2: "the
// capture interface, the pair of IP addresses and the IP identifier").
type fragKey struct {
	iface    uint16
	proto    uint8
	id       uint32
	src, dst netip.Addr
}

// fragInfo is what the probe knows of a datagram in fragments: the
// transport ports and the classes of its first fragment (haveFirst), or
// else the classes of its IP header alone, and the fragments held and the
// counts waiting for the first fragment.
type fragInfo struct {
	srcPort, dstPort uint16
	l4               uint16 // dissect.HasTCP or HasUDP bits of the first fragment
	proto            uint8  // the first fragment's protocol (IPv6: past the extension headers), else the key's
	haveFirst        bool
	done             bool // the datagram was reassembled (its ports and classes are the fallback of later fragments)
	classes          filter.Set
	expiresNs        int64
	held, heldTail   int32  // early non-first fragments (p.held), -1 when none
	dups, overlaps   uint16 // duplicate / overlapping fragments not yet counted in flows
	oversize         bool   // an oversize fragment not yet counted in flows
	tcpHdrLen        uint8  // TCP data offset in bytes, once a fragment showed it (tcpHeaderLen); 0 unknown
	ord              uint64 // the capture ordinal of the fragment that made the entry (giveUp's order)
	// The flow key fields the IP header gives beyond the fragment key, of
	// the first fragment (else of the first to arrive): the datagram's
	// flows in a class split by vlan or dscp (datagramFlows), and the
	// VLAN of the reassembled datagram, dissected without its link header.
	vlan  uint16
	nvlan uint8
	tos   uint8
}

// heldFrag is an early non-first fragment waiting for its first fragment.
type heldFrag struct {
	next         int32
	timeNs       int64
	ipLen        uint32
	payload      uint32
	fragOff      uint32
	ttl, tos     uint8
	vlans        [2]uint16
	nvlan        uint8
	frame        uint64
	ord          uint64 // the probe's capture ordinal of the fragment (what workers create for it: shard.setIDs)
	linkType     pkt.LinkType
	capLen, wire uint32
	ipVersion    uint8
	timeBorrowed bool // pkt.Meta.TimeBorrowed
}

// fragMetric names the run-time per-datagram metrics, registered on first
// use (their ids are cached in Probe.fragIDs).
var fragMetric = [...]string{"ip_reassembled", "ip_reassembly_oversize", "ip_fragment_duplicates", "ip_fragment_overlaps"}

const (
	mReassembled = iota
	mOversize
	mFragDups
	mFragOverlaps
)

// keyOf returns the datagram key of fragment d. For IPv6 the protocol is
// the Fragment header's next header, the same in every fragment (the first
// fragment's Protocol may lie past further extension headers).
func keyOf(d *dissect.Dissection) fragKey {
	proto := d.Protocol
	if d.IPVersion == 6 {
		proto = d.FragNext
	}
	return fragKey{iface: d.Meta.Iface, proto: proto, id: d.IPID, src: d.SrcAddr, dst: d.DstAddr}
}

// fragMetricID returns the id of fragMetric[m], registering it once.
func (p *Probe) fragMetricID(m int) uint32 {
	if p.fragIDs[m] == 0 {
		p.fragIDs[m] = p.metricID(fragMetric[m], sharedMetricID(fragMetric[m]))
	}
	return p.fragIDs[m]
}

// fragExpiry returns when the probe forgets the datagram of fragment d
// if it is not done by then: the reassembler's timeout of its IP version
// (reassembly.timeout_s, IPv6 ipv6_timeout_s) after d, on the timer clock.
func (p *Probe) fragExpiry(d *dissect.Dissection) int64 {
	return pkt.AddNs(d.Meta.Clock(), p.reasm.TimeoutNs(d.IPVersion))
}

// fragment decides the classes of an IP fragment (p.set) before it is
// counted. The first fragment is sieved as any packet and its classes and
// ports remembered; a later fragment takes them over when the first was
// seen, and is held (p.set empty: not counted now) when it was not.
func (p *Probe) fragment(d *dissect.Dissection) {
	k := keyOf(d)
	fi, ok := p.frags[k]
	if !ok {
		fi = fragInfo{proto: k.proto, held: -1, heldTail: -1, expiresNs: p.fragExpiry(d), ord: p.ord}
		fi.setLink(d)
	} else if fi.done {
		// The datagram of this key was reassembled: this fragment is a
		// late duplicate of it, or starts another datagram reusing the
		// IP identifier (whose non-first fragments may come first: they
		// are held for its first fragment). A fragment no first fragment
		// claims falls back to the reassembled datagram's flows.
		fi = fragInfo{srcPort: fi.srcPort, dstPort: fi.dstPort, l4: fi.l4, proto: fi.proto, classes: fi.classes,
			held: -1, heldTail: -1, expiresNs: p.fragExpiry(d), ord: p.ord}
		fi.setLink(d)
	}
	learnt := false // fi.tcpHdrLen set by this fragment
	if k.proto == dissect.ProtoTCP && fi.tcpHdrLen == 0 {
		fi.tcpHdrLen = tcpHeaderLen(d)
		learnt = fi.tcpHdrLen != 0
	}
	if d.FragOff == 0 {
		p.match(d, &p.set)
		fi.srcPort, fi.dstPort, fi.l4, fi.haveFirst, fi.classes = d.SrcPort, d.DstPort, d.Flags&(dissect.HasTCP|dissect.HasUDP|dissect.HasSCTP), true, p.set
		fi.proto = d.Protocol
		fi.setLink(d)
		p.frags[k] = fi
		return
	}
	if fi.haveFirst {
		d.PayloadLen = pastHeader(fi.tcpHdrLen, d.FragOff, d.PayloadLen) // a held one's at releaseHeld
		p.set = fi.classes
		d.SrcPort, d.DstPort, d.Protocol = fi.srcPort, fi.dstPort, fi.proto
		d.Flags |= fi.l4 // for the flow key only: the sieve already ran
		if learnt {
			p.frags[k] = fi
		}
		return
	}
	if !ok {
		// the first fragment has not come (yet): the IP header alone
		// gives the classes the datagram's fragments fall back to
		p.sieve.Match(d, &p.set)
		fi.classes = p.set
	}
	if p.hold(&fi, d) {
		p.set = filter.Set{}
	} else {
		p.stats.FragsNotHeld++
		p.set = fi.classes
	}
	p.frags[k] = fi
}

// setLink keeps the VLAN and TOS of fragment d as the datagram's.
func (fi *fragInfo) setLink(d *dissect.Dissection) {
	fi.vlan, fi.nvlan, fi.tos = d.VLANs[0], d.NVLAN, d.TOS
}

// tcpHeaderLen returns the TCP header length (data offset, RFC 9293 §3.1)
// a fragment of a TCP segment shows, 0 when it holds no data offset byte
// (byte 12 of the header): the first fragment, or an IPv4 later fragment
// whose offset is at most 12 when the first carried less of the header
// (RFC 1858 §3.1's tiny fragment carries 8 bytes).
func tcpHeaderLen(d *dissect.Dissection) uint8 {
	var b []byte
	at := 12
	switch {
	case d.FragOff == 0 && d.Flags&dissect.HasTCP != 0:
		b = d.Data[d.L4Off:min(uint32(len(d.Data)), d.NetOff+d.IPLen)]
	case d.IPVersion == 4 && d.FragOff > 0 && d.FragOff <= 12:
		b, at = d.Payload, at-int(d.FragOff)
	}
	if at >= len(b) || b[at]>>4 < 5 {
		return 0
	}
	return b[at] >> 4 * 4
}

// pastHeader returns the transport payload bytes of a fragment at offset
// off carrying n bytes of its datagram's data, when the TCP header is hdr
// bytes long (0: unknown, the fragment's bytes are taken as payload): a
// TCP header that went on past a tiny first fragment is no payload in the
// fragments that carry its rest.
func pastHeader(hdr uint8, off, n uint32) uint32 {
	if off >= uint32(hdr) {
		return n
	}
	return n - min(n, uint32(hdr)-off)
}

// hold keeps an early non-first fragment for counting when its first
// fragment arrives; false when maxHeldFrags are held.
func (p *Probe) hold(fi *fragInfo, d *dissect.Dissection) bool {
	var i int32
	switch {
	case len(p.heldFree) > 0:
		i = p.heldFree[len(p.heldFree)-1]
		p.heldFree = p.heldFree[:len(p.heldFree)-1]
	case len(p.held) < maxHeldFrags:
		p.held = append(p.held, heldFrag{})
		i = int32(len(p.held) - 1)
	default:
		return false
	}
	p.held[i] = heldFrag{next: -1, timeNs: d.Meta.TimeNs, ipLen: d.IPLen, payload: d.PayloadLen, fragOff: d.FragOff,
		ttl: d.TTL, tos: d.TOS, vlans: d.VLANs, nvlan: d.NVLAN, frame: d.Meta.Frame, ord: p.ord, linkType: d.Meta.LinkType,
		capLen: d.Meta.CapLen, wire: d.Meta.WireLen, ipVersion: d.IPVersion, timeBorrowed: d.Meta.TimeBorrowed}
	if fi.heldTail >= 0 {
		p.held[fi.heldTail].next = i
	} else {
		fi.held = i
	}
	fi.heldTail = i
	return true
}

// heldEarliest returns the capture time of the earliest fragment held for
// datagram k, MaxInt64 when none is.
func (p *Probe) heldEarliest(k fragKey) int64 {
	t := int64(math.MaxInt64)
	fi, ok := p.frags[k]
	if !ok {
		return t
	}
	for i := fi.held; i >= 0; i = p.held[i].next {
		t = min(t, p.held[i].timeNs)
	}
	return t
}

// releaseHeld counts the fragments held for datagram k, and the counts
// waiting for flows, in the classes the datagram now has: the first
// fragment's (first is its dissection, p.set its classes) or, when the
// datagram expired without it (first nil), its IP header's.
func (p *Probe) releaseHeld(k fragKey, first *dissect.Dissection) {
	fi, ok := p.frags[k]
	if !ok {
		return
	}
	set := fi.classes
	hd := &p.hd
	if first != nil {
		*hd = *first
		set = p.set
	} else {
		// ports and l4 are those of a reassembled datagram with the
		// same key (fragInfo.done), else zero
		*hd = dissect.Dissection{Meta: pkt.Meta{Iface: k.iface}, Flags: dissect.HasIP | fi.l4, Protocol: fi.proto, SrcAddr: k.src, DstAddr: k.dst, IPID: k.id,
			SrcPort: fi.srcPort, DstPort: fi.dstPort, WScale: -1}
	}
	hd.Flags = hd.Flags&(dissect.HasIP|dissect.HasTCP|dissect.HasUDP|dissect.HasSCTP) | dissect.IsFrag
	for i := fi.held; i >= 0; {
		h := &p.held[i]
		hd.Meta = pkt.Meta{TimeNs: h.timeNs, CapLen: h.capLen, WireLen: h.wire, LinkType: h.linkType, Iface: k.iface, Frame: h.frame, TimeBorrowed: h.timeBorrowed}
		hd.IPVersion, hd.IPLen, hd.PayloadLen, hd.FragOff, hd.TTL, hd.TOS, hd.VLANs, hd.NVLAN =
			h.ipVersion, h.ipLen, pastHeader(fi.tcpHdrLen, h.fragOff, h.payload), h.fragOff, h.ttl, h.tos, h.vlans, h.nvlan
		hd.TCPFlags, hd.Payload = 0, nil
		if first == nil && p.sh != nil {
			p.sh.setIDs(p, h.ord) // flows created in the fragment's own slot
		}
		for ci := set.Next(0); ci >= 0; ci = set.Next(ci + 1) {
			p.stats.Matched++
			p.account(ci, hd)
		}
		p.heldFree = append(p.heldFree, i)
		i = h.next
	}
	fi.held, fi.heldTail = -1, -1
	if first != nil {
		fi.classes = set
	}
	p.frags[k] = fi
	p.countPending(k)
}

// countPending adds the duplicate, overlap and oversize counts a datagram
// gathered to its flows, once its flows are known (first fragment seen, or
// datagram given up).
func (p *Probe) countPending(k fragKey) {
	fi := p.frags[k]
	if fi.dups == 0 && fi.overlaps == 0 && !fi.oversize {
		return
	}
	p.datagramFlows(k, &fi, func(f *flow.Flow) {
		for range fi.dups {
			p.flows.Extra(f, p.fragMetricID(mFragDups)).Count()
		}
		for range fi.overlaps {
			p.flows.Extra(f, p.fragMetricID(mFragOverlaps)).Count()
		}
		if fi.oversize {
			p.flows.Extra(f, p.fragMetricID(mOversize)).Count()
		}
	})
	fi.dups, fi.overlaps, fi.oversize = 0, 0, false
	p.frags[k] = fi
}

// datagramFlows calls fn with every existing flow of datagram k (the
// classes and ports of its first fragment, or of its IP header).
func (p *Probe) datagramFlows(k fragKey, fi *fragInfo, fn func(*flow.Flow)) {
	d := &p.kd
	*d = dissect.Dissection{Meta: pkt.Meta{Iface: k.iface}, Protocol: fi.proto, SrcAddr: k.src, DstAddr: k.dst,
		SrcPort: fi.srcPort, DstPort: fi.dstPort, Flags: dissect.HasIP | fi.l4, WScale: -1, TOS: fi.tos, NVLAN: fi.nvlan}
	d.VLANs[0] = fi.vlan
	d.IPVersion = 6
	if k.src.Is4() {
		d.IPVersion = 4
	}
	for ci := fi.classes.Next(0); ci >= 0; ci = fi.classes.Next(ci + 1) {
		if f := p.flows.Get(p.key(ci, d)); f != nil {
			p.touch(f)
			fn(f)
		}
	}
}

// reassemble feeds a fragment to the reassembler; a completed datagram is
// dissected again as raw IP and handed to the datagram analysers.
func (p *Probe) reassemble(d *dissect.Dissection, data []byte) {
	res, err := p.reasm.Add(d, data)
	k := keyOf(d)
	if errors.Is(err, reasm.ErrTooLong) {
		p.oversize(k, d)
		return
	}
	if res.Duplicate || res.Overlap {
		if fi, ok := p.frags[k]; ok {
			if res.Duplicate {
				fi.dups++
			} else {
				fi.overlaps++
			}
			p.frags[k] = fi
			if fi.haveFirst {
				p.countPending(k)
			}
		}
	}
	if err != nil || !res.Complete {
		return
	}
	p.reassembled++
	fi, ok := p.frags[k]
	if !ok {
		return
	}
	fi.done = true
	p.frags[k] = fi
	p.datagramFlows(k, &fi, func(f *flow.Flow) { p.flows.Extra(f, p.fragMetricID(mReassembled)).Count() })
	m := d.Meta // TimeBorrowed: the completing fragment's
	m.LinkType, m.CapLen, m.WireLen, m.TimeNs = pkt.LinkRaw, uint32(len(res.Datagram)), uint32(len(res.Datagram)), res.LastNs
	rd := &p.rd
	bad := p.rdis.Stats.Kinds[dissect.KindUDPBadLength]
	err = p.rdis.Dissect(res.Datagram, m, rd)
	if p.rdis.Stats.Kinds[dissect.KindUDPBadLength] != bad {
		// a UDP length the reassembled payload disagrees with, which no
		// fragment alone shows (teardrop: tshark's "Bad length value 36 >
		// IP payload length" on the completing frame)
		p.reasmBad++
		p.reasmBadI++
	}
	if err != nil {
		return
	}
	rd.VLANs[0], rd.NVLAN = fi.vlan, fi.nvlan // the link header is not in the datagram: its first fragment's tags
	// Analysers that need whole datagrams see the reassembled one, in the
	// classes of its first fragment.
	for ci := fi.classes.Next(0); ci >= 0; ci = fi.classes.Next(ci + 1) {
		c := &p.classes[ci]
		if c.ow != nil {
			// One-way: the reassembled datagram is signed, so every hop
			// gets the same signature whatever the fragmentation, with the
			// times of its first and last fragments (design 3.8).
			if f := p.flows.Get(p.key(ci, rd)); f != nil {
				p.observeDatagram(c, f.ID, rd, res.Datagram, res.FirstNs, res.LastNs)
			}
		}
		if c.tcp != nil && rd.Flags&dissect.HasTCP != 0 && (!c.bound || rd.TCPFlags&(dissect.TCPSyn|dissect.TCPFin|dissect.TCPRst) != 0) {
			c.tcp.Packet(rd, c.cfg.Name, c.bound)
		}
		if c.ftp != nil && rd.Flags&dissect.HasTCP != 0 {
			// the whole segment, once: its fragments joined the class
			// as data (ftpJoin, Joins) or matched it as control
			c.ftp.SetOrdinal(p.ord)
			if _, ok := c.ftp.Data(rd); !ok {
				c.ftp.Control(rd)
			}
		}
		if c.rtt == nil {
			continue
		}
		if f := p.flows.Get(p.key(ci, rd)); f != nil {
			c.rtt.Packet(rd, f.ID, c.emitRTT)
		}
	}
}

// oversize reports a fragment that would take its datagram beyond 65535
// bytes (the reassembler abandoned the datagram): an event at once and
// ip_reassembly_oversize in the datagram's flows.
func (p *Probe) oversize(k fragKey, d *dissect.Dissection) {
	end := d.FragOff + d.IPLen - d.IPHdrLen
	p.limitedEvent(evOversize, d.Meta.TimeNs, pdu.SevWarning, fmt.Sprintf(
		"frame %d: IPv%d fragment %s > %s proto %d id %d at offset %d takes the datagram to %d bytes of payload, beyond 65535: datagram dropped (ping of death)",
		d.Meta.Frame, d.IPVersion, d.SrcAddr, d.DstAddr, d.Protocol, d.IPID, d.FragOff, end))
	if fi, ok := p.frags[k]; ok {
		fi.oversize = true
		p.frags[k] = fi
		if fi.haveFirst {
			p.countPending(k)
		}
	}
}

// expireFragments turns datagrams that never completed into events and
// counts them as reassembly failures in the first fragment's flows; the
// fragments held for a first fragment that never came are counted.
func (p *Probe) expireFragments(nowNs int64) {
	if p.reasm.Len() > 0 {
		p.reasm.Expire(nowNs, p.gather)
		p.giveUp()
	}
	p.forgetDue(nowNs)
}

// fragDue is a datagram a timer forgets: its key, and the capture ordinal
// of the first fragment held for it (math.MaxUint64 when none is).
type fragDue struct {
	ord uint64
	k   fragKey
}

// dueFragments returns the datagrams whose fragment info expires before
// beforeNs (math.MaxInt64: every one) in a fixed order: by the ordinal of
// the first fragment held for them, then by key. Forgetting a datagram
// whose first fragment never came creates the flows of its held
// fragments: a walk of the map gave several such flows their ids in
// random order, from run to run; in this order, a lone probe numbers
// them as a Workers run does (renum.prescan: by the held fragments'
// ordinals). The slice is reused.
func (p *Probe) dueFragments(beforeNs int64) []fragDue {
	due := p.fragsDue[:0]
	for k, fi := range p.frags {
		if fi.expiresNs < beforeNs || beforeNs == math.MaxInt64 {
			d := fragDue{ord: math.MaxUint64, k: k}
			if fi.held >= 0 {
				d.ord = p.held[fi.held].ord
			}
			due = append(due, d)
		}
	}
	slices.SortFunc(due, func(a, b fragDue) int {
		return cmp.Or(cmp.Compare(a.ord, b.ord), cmp.Compare(a.k.iface, b.k.iface), cmp.Compare(a.k.proto, b.k.proto),
			cmp.Compare(a.k.id, b.k.id), a.k.src.Compare(b.k.src), a.k.dst.Compare(b.k.dst))
	})
	p.fragsDue = due
	return due
}

// forgetDatagram counts what datagram k still holds and forgets it.
func (p *Probe) forgetDatagram(k fragKey) {
	if fi := p.frags[k]; !fi.haveFirst {
		p.releaseHeld(k, nil)
	}
	p.countPending(k)
	delete(p.frags, k)
}

// flushFragments ends the input: every datagram is given up.
func (p *Probe) flushFragments() {
	p.reasm.Flush(p.gather)
	p.giveUp()
	p.forgetDue(math.MaxInt64)
}

func (p *Probe) incomplete(in reasm.Incomplete) {
	k := fragKey{iface: in.Iface, proto: in.Protocol, id: in.ID, src: in.SrcAddr, dst: in.DstAddr}
	if fi, ok := p.frags[k]; ok && !fi.haveFirst {
		p.releaseHeld(k, nil)
	}
	if in.Reason == reasm.ReasonTooLong {
		return // reported as ip_reassembly_oversize when it happened
	}
	if in.Reason == reasm.ReasonLateCopies {
		// late copies of a reassembled datagram's fragments: duplicates
		// in its flows (the fallback of fragInfo.done), no failure
		if fi, ok := p.frags[k]; ok {
			fi.dups += uint16(min(in.Fragments, math.MaxUint16))
			p.frags[k] = fi
			p.countPending(k)
		}
		return
	}
	p.limitedEvent(evIncomplete, in.LastNs, pdu.SevWarning, fmt.Sprintf(
		"IPv%d datagram %s > %s proto %d id %d: %s after %d fragments, %d bytes (first fragment seen %v, last %v)",
		in.IPVersion, in.SrcAddr, in.DstAddr, in.Protocol, in.ID, in.Reason, in.Fragments, in.BytesHave, in.HaveFirst, in.HaveLast))
	fi, ok := p.frags[k]
	if !ok {
		return
	}
	p.datagramFlows(k, &fi, func(f *flow.Flow) { f.Count(flow.MReasmFailures) })
}
