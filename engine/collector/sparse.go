package collector

import (
	"github.com/tmonbench/tmonbench/engine/flow"
)

// sparseFlows holds a probe's flows that its dense range does not reach
// (flowTable): a lone probe's few long-lived flows (issue 14), and every
// flow of a Workers run before its merge renumbered ids densely (ids
// spread by capture ordinal). The
// flows and their ids sit in pages of pageFlows, a freed place reused
// before a new one; an index finds them: open addressing with linear
// probing over a power-of-two array of 8-byte slots (the flow's place and
// 32 bits of its id's hash, whose low bits are the home slot), at most
// 7/8 full, a removal shifting back the slots that follow (no
// tombstones), as engine/flow's index. Fuller than that index (3/4): a
// lookup here is per record, not per packet, and the slots are small. 88
// bytes a flow and 9-18 of slots, against 139-184 for a Go map of
// flowKey to cflow (Go 1.26, 100-197 k flows: TestSparseFlowsMemory),
// whose groups hold the key next to each flow and are never more than
// 7/8 full. The zero value is an empty store.
type sparseFlows struct {
	slots []sparseSlot
	pages [][]cflow
	ids   [][]uint64 // the id of the flow at each place, in pages as pages
	free  uint32     // the first freed place + 1 (0: none); a freed flow's packets field holds the next
	top   uint32     // places handed out
	n     int
	seed  uint64
}

// sparseSlot is one slot of the index.
type sparseSlot struct {
	at   uint32 // the flow's place in the pages + 1; 0: empty slot
	hash uint32 // sparseFlows.hash of the flow's id
}

// sparseSeed seeds every store's hash: a fixed seed keeps the order All
// gives the flows the same from run to run (it decides which retired
// flows the collector forgets first past maxRetired); the ids are the
// probes' numbering, not values a packet's sender chooses.
const sparseSeed = 0x9e3779b97f4a7c15

// minSparseSlots is the smallest slot array.
const minSparseSlots = 64

// hash mixes id wyhash-style (seed: sparseSeed).
func (s *sparseFlows) hash(id uint64) uint32 {
	return uint32(flow.Mix(id^s.seed, 0xe7037ed1a0b428db))
}

// flow returns the flow at place at (1-based).
func (s *sparseFlows) flow(at uint32) *cflow {
	return &s.pages[(at-1)/pageFlows][(at-1)%pageFlows]
}

// id returns the id of the flow at place at.
func (s *sparseFlows) id(at uint32) *uint64 {
	return &s.ids[(at-1)/pageFlows][(at-1)%pageFlows]
}

// find returns id's slot index, or -1.
func (s *sparseFlows) find(id uint64) int {
	h := s.hash(id)
	mask := uint32(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := s.slots[i]
		if sl.at == 0 {
			return -1
		}
		if sl.hash == h && *s.id(sl.at) == id {
			return int(i)
		}
	}
}

// get returns flow id, or nil.
func (s *sparseFlows) get(id uint64) *cflow {
	if s.n == 0 {
		return nil
	}
	if i := s.find(id); i >= 0 {
		return s.flow(s.slots[i].at)
	}
	return nil
}

// set holds f as flow id and reports whether id is new.
func (s *sparseFlows) set(id uint64, f cflow) bool {
	if p := s.get(id); p != nil {
		*p = f
		return false
	}
	var at uint32
	if s.free != 0 {
		at = s.free
		s.free = uint32(s.flow(at).packets)
	} else {
		s.top++
		at = s.top
		if int(at) > len(s.pages)*pageFlows {
			s.pages = append(s.pages, make([]cflow, pageFlows))
			s.ids = append(s.ids, make([]uint64, pageFlows))
		}
	}
	*s.flow(at), *s.id(at) = f, id
	if len(s.slots) == 0 {
		s.slots, s.seed = make([]sparseSlot, minSparseSlots), sparseSeed
	} else if (s.n+1)*8 > len(s.slots)*7 {
		old := s.slots
		s.slots = make([]sparseSlot, 2*len(old))
		for _, sl := range old {
			if sl.at != 0 {
				s.place(sl)
			}
		}
	}
	s.place(sparseSlot{at: at, hash: s.hash(id)})
	s.n++
	return true
}

func (s *sparseFlows) place(sl sparseSlot) {
	mask := uint32(len(s.slots) - 1)
	i := sl.hash & mask
	for s.slots[i].at != 0 {
		i = (i + 1) & mask
	}
	s.slots[i] = sl
}

// del forgets flow id and reports whether it was held.
func (s *sparseFlows) del(id uint64) bool {
	if s.n == 0 {
		return false
	}
	i := s.find(id)
	if i < 0 {
		return false
	}
	at := s.slots[i].at
	*s.flow(at) = cflow{packets: uint64(s.free)}
	s.free = at
	mask := len(s.slots) - 1
	flow.ShiftBack(s.slots, i, func(sl sparseSlot) (int, bool) { return int(sl.hash) & mask, sl.at == 0 })
	s.n--
	return true
}

// clear forgets every flow, keeping the slots and pages.
func (s *sparseFlows) clear() {
	clear(s.slots)
	s.free, s.top, s.n = 0, 0, 0
}

// all calls yield with every flow held (in no specified order), as probe
// p's, until it returns false, and reports whether it did not.
func (s *sparseFlows) all(p uint16, yield func(flowKey, *cflow) bool) bool {
	if s.n == 0 {
		return true
	}
	for _, sl := range s.slots {
		if sl.at != 0 && !yield(flowKey{p, *s.id(sl.at)}, s.flow(sl.at)) {
			return false
		}
	}
	return true
}
