//go:build linux

package live

// Polls counts the poll calls of s's Next (TestLinkStates: an interface
// down or deleted must not make poll return at once, forever).
func Polls(s *Source) uint64 { return s.polls }
