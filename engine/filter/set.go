package filter

import "math/bits"

// MaxClasses is the number of classes one Sieve holds: the capacity of Set.
const MaxClasses = 256

// Set is a set of class indices in [0, MaxClasses): bit i of word i/64 is
// class i. The zero Set is empty. It is a value type (32 bytes); no method
// allocates.
type Set [MaxClasses / 64]uint64

// Add puts class i in the set; i outside [0, MaxClasses) is ignored.
func (s *Set) Add(i int) {
	if uint(i) < MaxClasses {
		s[i>>6] |= 1 << (uint(i) & 63)
	}
}

// Has reports whether class i is in the set.
func (s *Set) Has(i int) bool {
	return uint(i) < MaxClasses && s[i>>6]&(1<<(uint(i)&63)) != 0
}

// Count returns the number of classes in the set.
func (s *Set) Count() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}

// Empty reports whether the set holds no class.
func (s *Set) Empty() bool { return s[0]|s[1]|s[2]|s[3] == 0 }

// Clear empties the set.
func (s *Set) Clear() { *s = Set{} }

// Next returns the smallest class >= i in the set, or -1 if there is none.
// Iterate with: for c := s.Next(0); c >= 0; c = s.Next(c + 1) { ... }
func (s *Set) Next(i int) int {
	if i < 0 {
		i = 0
	}
	for wi := i >> 6; wi < len(s); wi++ {
		w := s[wi]
		if wi == i>>6 {
			w &= ^uint64(0) << (uint(i) & 63)
		}
		if w != 0 {
			return wi<<6 | bits.TrailingZeros64(w)
		}
	}
	return -1
}

// ForEach calls fn with every class in the set, in increasing order.
func (s *Set) ForEach(fn func(class int)) {
	for wi, w := range s {
		for w != 0 {
			fn(wi<<6 | bits.TrailingZeros64(w))
			w &= w - 1
		}
	}
}
