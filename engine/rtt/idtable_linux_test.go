package rtt

import (
	"syscall"
	"testing"
)

// BenchmarkIDTable: the tracker's use of dnsLast on a busy resolver, one
// op a query and its response (a set of a new key, then a get), the keys
// never repeating, so that the table fills to its bound (DefaultConfig's
// MaxPending, 65536) and is cleared again and again; "map" is the Go map
// with the same bound that the table replaced. Reports ns/op and the
// page faults (minor faults, getrusage) per 1000 ops.
func BenchmarkIDTable(b *testing.B) {
	keys := make([]pendKey, 1<<18)
	for i := range keys {
		keys[i] = pendKeyN(i)
		keys[i].id = uint64(i)
	}
	max := DefaultConfig().MaxPending
	run := func(b *testing.B, set func(k *pendKey, v uint64), get func(k *pendKey) (uint64, bool)) {
		f0 := minorFaults()
		for i := 0; b.Loop(); i++ {
			k := &keys[i&(len(keys)-1)]
			set(k, uint64(i))
			get(k)
		}
		b.ReportMetric(float64(minorFaults()-f0)*1000/float64(b.N), "faults/1000ops")
	}
	b.Run("table", func(b *testing.B) {
		x := newIDTable(max)
		run(b, x.set, x.get)
	})
	b.Run("map", func(b *testing.B) {
		m := map[pendKey]uint64{}
		run(b, func(k *pendKey, v uint64) {
			if _, had := m[*k]; !had && len(m) >= max {
				clear(m)
			}
			m[*k] = v
		}, func(k *pendKey) (uint64, bool) { v, ok := m[*k]; return v, ok })
	})
}

// minorFaults returns the process's minor page faults so far.
func minorFaults() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Minflt
}
