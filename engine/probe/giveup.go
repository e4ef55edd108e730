package probe

import (
	"cmp"
	"slices"

	"github.com/tmonbench/tmonbench/engine/reasm"
)

// The datagrams given up by a timer, an interval close or the end of the
// run (stageFragTimer, stageFragClose, stageFinalFrag), in one order for a
// lone probe and for every worker of a Workers run (order.go).
//
// The reassembler gives them up in its own order (reasm.Reassembler.Expire:
// those abandoned since, then the longest overdue; Flush: the oldest
// first), which a worker follows for its own datagrams only: the merge
// replayed one worker's ip_reassembly_incomplete events, and the flows of
// their held fragments, after the other's, where a lone probe interleaves
// them; with more than 20 in an interval, the 20 events kept
// (limitedEvent) were others. Now a probe gives them up in the order of
// the capture ordinal of the fragment that made their datagram's entry
// (fragInfo.ord: every worker sees every packet, so that ordinal is a lone
// probe's), which is the reassembler's for one IP version, and keys their
// records with it; then forgets the datagrams due (forgetDue), keyed by
// the ordinal of their first held fragment (dueFragments' order). The
// merge takes the smallest key of the workers' next records: a lone
// probe's order.

// givenUp is a datagram the reassembler gave up, and its key.
type givenUp struct {
	key uint64
	in  reasm.Incomplete
}

// gather keeps a datagram the reassembler gave up, for giveUp.
func (p *Probe) gather(in reasm.Incomplete) {
	k := fragKey{iface: in.Iface, proto: in.Protocol, id: in.ID, src: in.SrcAddr, dst: in.DstAddr}
	p.givenUp = append(p.givenUp, givenUp{key: giveUpKey(p.frags, k), in: in})
}

// giveUpKey returns the key of datagram k given up: the ordinal of the
// fragment that made its entry, or, when it has none (forgotten before),
// a hash of k with the top bit set: after those, the same in every worker.
func giveUpKey(frags map[fragKey]fragInfo, k fragKey) uint64 {
	if fi, ok := frags[k]; ok {
		return fi.ord
	}
	s, d := k.src.As16(), k.dst.As16()
	h := uint64(14695981039346656037) // FNV-1a, inline: no allocation
	for _, b := range [...][]byte{s[:], d[:], {byte(k.iface >> 8), byte(k.iface), k.proto, byte(k.id >> 24), byte(k.id >> 16), byte(k.id >> 8), byte(k.id)}} {
		for _, c := range b {
			h = (h ^ uint64(c)) * 1099511628211
		}
	}
	return 1<<63 | h>>1
}

// giveUp reports the datagrams gathered, in key order (the reassembler's,
// for those of one key).
func (p *Probe) giveUp() {
	g := p.givenUp
	if len(g) > 1 {
		slices.SortStableFunc(g, func(a, b givenUp) int { return cmp.Compare(a.key, b.key) })
	}
	for i := range g {
		p.keyed(g[i].key)
		p.incomplete(g[i].in)
	}
	clear(g)
	p.givenUp = g[:0]
}

// forgetDue forgets the datagrams whose fragment info expires before
// beforeNs (dueFragments), in a sub-stage of their own after the
// datagrams given up, keyed by the ordinal of their first held fragment.
func (p *Probe) forgetDue(beforeNs int64) {
	if p.sh != nil {
		r := p.sh.rec
		r.ord = r.ord&^3 | 1
	}
	for _, d := range p.dueFragments(beforeNs) {
		p.keyed(d.ord)
		p.forgetDatagram(d.k)
	}
}
