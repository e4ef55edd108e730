//go:build race

package testenv

// Race is true when the tests are built with the race detector (`go test
// -race`). Allocation counts are not the production build's there
// (sync.Pool drops a quarter of what it is given on purpose, and the
// instrumentation changes what escapes), so tests of zero allocations
// run their code under -race, for its races, and assert the counts only
// without it: the CI's main test step, which runs without -race, checks
// them.
const Race = true
