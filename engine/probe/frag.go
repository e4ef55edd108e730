package probe

import (
	"fmt"
	"net/netip"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/filter"
	"github.com/tmonbench/tmonbench/engine/flow"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/reasm"
)

// fragKey identifies the datagram a fragment belongs to (design 3.2: "the
// capture interface, the pair of IP addresses and the IP identifier").
type fragKey struct {
	iface    uint16
	proto    uint8
	id       uint32
	src, dst netip.Addr
}

// fragInfo is what the first fragment taught about its datagram: the
// transport ports and the classes it belongs to, so later fragments count
// in the same flows (design 3.2) although they carry no transport header.
type fragInfo struct {
	srcPort, dstPort uint16
	l4               uint16 // dissect.HasTCP or HasUDP bits of the first fragment
	classes          filter.Set
	expiresNs        int64
}

func keyOf(d *dissect.Dissection) fragKey {
	return fragKey{iface: d.Meta.Iface, proto: d.Protocol, id: d.IPID, src: d.SrcAddr, dst: d.DstAddr}
}

// fragment handles the membership of an IP fragment. The first fragment
// (offset 0) is sieved as any packet and its classes and ports remembered;
// a later fragment takes them over when the first was seen, else it is
// sieved on its IP header alone (as tcpdump would).
func (p *Probe) fragment(d *dissect.Dissection) {
	k := keyOf(d)
	if d.FragOff == 0 {
		p.sieve.Match(d, &p.set)
		p.frags[k] = fragInfo{srcPort: d.SrcPort, dstPort: d.DstPort, l4: d.Flags & (dissect.HasTCP | dissect.HasUDP),
			classes: p.set, expiresNs: d.Meta.TimeNs + p.reasmTimeoutNs}
		return
	}
	if fi, ok := p.frags[k]; ok {
		p.set = fi.classes
		d.SrcPort, d.DstPort = fi.srcPort, fi.dstPort
		d.Flags |= fi.l4 // for the flow key only: the sieve already ran
		return
	}
	p.sieve.Match(d, &p.set)
	// The first fragment has not come (yet): remember where these went, so
	// a datagram that never completes counts its failure in their flow.
	p.frags[k] = fragInfo{classes: p.set, expiresNs: d.Meta.TimeNs + p.reasmTimeoutNs}
}

// reassemble feeds a fragment to the reassembler; a completed datagram is
// dissected again as raw IP and handed to the datagram analysers.
func (p *Probe) reassemble(d *dissect.Dissection, data []byte) {
	res, err := p.reasm.Add(d, data)
	if err != nil || !res.Complete {
		return
	}
	p.reassembled++
	fi, ok := p.frags[keyOf(d)]
	if !ok {
		return
	}
	m := d.Meta
	m.LinkType, m.CapLen, m.WireLen, m.TimeNs = pkt.LinkRaw, uint32(len(res.Datagram)), uint32(len(res.Datagram)), res.LastNs
	rd := &p.rd
	if p.rdis.Dissect(res.Datagram, m, rd) != nil {
		return
	}
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
		if c.rtt == nil {
			continue
		}
		if f := p.flows.Get(p.key(ci, rd)); f != nil {
			c.rtt.Packet(rd, f.ID, p.emitRTT)
		}
	}
}

// expireFragments turns datagrams that never completed into events and
// counts them as reassembly failures in the first fragment's flows.
func (p *Probe) expireFragments(nowNs int64) {
	if p.reasm.Len() > 0 {
		p.reasm.Expire(nowNs, p.incomplete)
	}
	for k, fi := range p.frags {
		if fi.expiresNs < nowNs {
			delete(p.frags, k)
		}
	}
}

// maxFragEvents bounds the incomplete-datagram events per interval; the
// rest are counted in one summary event.
const maxFragEvents = 20

func (p *Probe) incomplete(in reasm.Incomplete) {
	p.incompleteI++
	if p.incompleteI <= maxFragEvents {
		p.Event(in.LastNs, SevWarning, "ip_reassembly_incomplete", fmt.Sprintf(
			"IPv%d datagram %s > %s proto %d id %d: %s after %d fragments, %d bytes (first fragment seen %v, last %v)",
			in.IPVersion, in.SrcAddr, in.DstAddr, in.Protocol, in.ID, in.Reason, in.Fragments, in.BytesHave, in.HaveFirst, in.HaveLast))
	}
	k := fragKey{iface: in.Iface, proto: in.Protocol, id: in.ID, src: in.SrcAddr, dst: in.DstAddr}
	fi, ok := p.frags[k]
	if !ok {
		return
	}
	var d dissect.Dissection
	d.Meta.Iface, d.IPVersion, d.Protocol, d.SrcAddr, d.DstAddr = in.Iface, in.IPVersion, in.Protocol, in.SrcAddr, in.DstAddr
	d.SrcPort, d.DstPort, d.Flags = fi.srcPort, fi.dstPort, dissect.HasIP|fi.l4
	for ci := fi.classes.Next(0); ci >= 0; ci = fi.classes.Next(ci + 1) {
		if f := p.flows.Get(p.key(ci, &d)); f != nil {
			p.touch(f)
			f.Count(flow.MReasmFailures)
		}
	}
}
