package collector

import (
	"math/bits"
	"math/rand/v2"
)

// sparseFlows holds the flows no dense range reaches (flowTable): every
// flow of a Workers run, whose ids are spread by capture ordinal, and a
// lone probe's few long-lived ones. Open addressing with linear probing
// over a power-of-two array of 16-byte slots (the key and the flow's place),
// at most 3/4 full, a removal shifting back the slots that follow (no
// tombstones), as engine/flow's index; the flows themselves in pages of
// pageFlows, a freed place reused before a new one (issue 14). 80 bytes
// a flow and 21-43 of slots, against 136-181 for a Go map of flowKey to
// cflow (Go 1.26, 50-200 k flows: TestSparseFlowsMemory), whose groups
// hold the key next to each flow and are never more than 7/8 full.
type sparseFlows struct {
	slots []sparseSlot
	pages [][]cflow
	free  uint32 // the first freed place + 1 (0: none); a freed flow's packets field holds the next
	top   uint32 // places handed out
	n     int
	seed  uint64
}

// sparseSlot is one slot of the index: a flow's key and its place.
type sparseSlot struct {
	id    uint64
	at    uint32 // the flow's place in the pages + 1; 0: empty slot
	probe uint16
}

// minSparseSlots is the smallest slot array.
const minSparseSlots = 64

func newSparseFlows() sparseFlows {
	return sparseFlows{slots: make([]sparseSlot, minSparseSlots), seed: rand.Uint64()}
}

// hash mixes k wyhash-style, seeded per table.
func (s *sparseFlows) hash(k flowKey) uint64 {
	hi, lo := bits.Mul64(k.id^s.seed, uint64(k.probe)^0xe7037ed1a0b428db)
	return hi ^ lo
}

// flow returns the flow at place at (1-based).
func (s *sparseFlows) flow(at uint32) *cflow {
	return &s.pages[(at-1)/pageFlows][(at-1)%pageFlows]
}

// find returns k's slot index, or -1.
func (s *sparseFlows) find(k flowKey) int {
	mask := uint64(len(s.slots) - 1)
	for i := s.hash(k) & mask; ; i = (i + 1) & mask {
		sl := &s.slots[i]
		if sl.at == 0 {
			return -1
		}
		if sl.id == k.id && sl.probe == k.probe {
			return int(i)
		}
	}
}

// get returns flow k, or nil.
func (s *sparseFlows) get(k flowKey) *cflow {
	if s.n == 0 {
		return nil
	}
	if i := s.find(k); i >= 0 {
		return s.flow(s.slots[i].at)
	}
	return nil
}

// set holds f as flow k and reports whether k is new.
func (s *sparseFlows) set(k flowKey, f cflow) bool {
	if p := s.get(k); p != nil {
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
		}
	}
	*s.flow(at) = f
	if (s.n+1)*4 > len(s.slots)*3 {
		old := s.slots
		s.slots = make([]sparseSlot, 2*len(old))
		for _, sl := range old {
			if sl.at != 0 {
				s.place(sl)
			}
		}
	}
	s.place(sparseSlot{id: k.id, at: at, probe: k.probe})
	s.n++
	return true
}

func (s *sparseFlows) place(sl sparseSlot) {
	mask := uint64(len(s.slots) - 1)
	i := s.hash(flowKey{sl.probe, sl.id}) & mask
	for s.slots[i].at != 0 {
		i = (i + 1) & mask
	}
	s.slots[i] = sl
}

// del forgets flow k and reports whether it was held.
func (s *sparseFlows) del(k flowKey) bool {
	if s.n == 0 {
		return false
	}
	i := s.find(k)
	if i < 0 {
		return false
	}
	at := s.slots[i].at
	*s.flow(at) = cflow{packets: uint64(s.free)}
	s.free = at
	// Shift back the slots of the chain that would no longer be found.
	mask := len(s.slots) - 1
	for j := i; ; {
		j = (j + 1) & mask
		sl := s.slots[j]
		if sl.at == 0 {
			break
		}
		// sl stays when its home slot h lies cyclically in (i, j].
		h := int(s.hash(flowKey{sl.probe, sl.id})) & mask
		if (i < j && i < h && h <= j) || (i > j && (i < h || h <= j)) {
			continue
		}
		s.slots[i] = sl
		i = j
	}
	s.slots[i] = sparseSlot{}
	s.n--
	return true
}

// clear forgets every flow, keeping the slots and pages.
func (s *sparseFlows) clear() {
	clear(s.slots)
	s.free, s.top, s.n = 0, 0, 0
}

// all calls yield with every flow held (in no specified order) until it
// returns false.
func (s *sparseFlows) all(yield func(flowKey, *cflow) bool) {
	if s.n == 0 {
		return
	}
	for _, sl := range s.slots {
		if sl.at != 0 && !yield(flowKey{sl.probe, sl.id}, s.flow(sl.at)) {
			return
		}
	}
}
