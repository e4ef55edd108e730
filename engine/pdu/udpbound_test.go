package pdu

import (
	"net"
	"os"
	"runtime"
	"testing"
)

// liveHeap returns the bytes of live heap objects, after two collections.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestUDPBacklogBoundMemory: a sender on a real UDP link to a collector
// that never answers (a socket nobody reads), flooded with 2,000,000
// observations (62 MB of records, 100,000 a second of probe time: far
// more than the regulation sends): the live heap, measured with
// runtime.ReadMemStats (not time), grows by less than twice the backlog
// bound plus 4 MiB (measured: 4.6 MiB with a 4 MiB bound; 70.6 MiB
// without the bound), and every record is pending or counted as destroyed
// by the bound (issue 13.5).
func TestUDPBacklogBoundMemory(t *testing.T) {
	const n, bound = 2_000_000, 4 << 20
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	link, err := DialUDP(silent.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer link.Close()
	cfg := DefaultSenderConfig()
	cfg.MaxQueueBytes = bound
	s := NewSender(cfg, 1, link)
	g := newGen(s)
	base := liveHeap()
	var peak uint64
	now := t0
	for i := range n {
		now += 1e4
		g.rec(TypeCounters, now)
		if i%1000 == 999 {
			link.Poll(s, now)
			s.Tick(now)
		}
		if i%100_000 == 99_999 {
			if h := liveHeap(); h > base {
				peak = max(peak, h-base)
			}
		}
	}
	s.Flush(now)
	st := s.Stats()
	sent := link.Stats().Sent
	t.Logf("%d records: peak live heap growth %.1f MiB (bound %d MiB); %d PDUs built, %d sent over UDP, %d destroyed by the bound (%d records), %d pending",
		n, float64(peak)/(1<<20), bound>>20, st.PDUs[TypeCounters], sent, st.Overflowed, st.OverflowedRecords, s.Pending())
	if limit := uint64(2*bound + 4<<20); peak > limit {
		t.Errorf("live heap grew by %d bytes under the flood, more than %d", peak, limit)
	}
	if st.Overflowed == 0 || st.OverflowedRecords == 0 {
		t.Errorf("the bound destroyed nothing: %+v", st)
	}
	if sent == 0 {
		t.Error("nothing was sent over the UDP link")
	}
	// Every record is sent, pending, or counted as destroyed.
	var pendingRecs uint64
	for _, p := range s.unacked {
		pendingRecs += p.records
	}
	if st.Records[TypeCounters] != n || pendingRecs+st.DestroyedRecords[TypeCounters] != n {
		t.Errorf("records: %d built (want %d), %d pending + %d destroyed", st.Records[TypeCounters], n, pendingRecs, st.DestroyedRecords[TypeCounters])
	}
}

// TestSocketBuffers: a collector's UDP socket asks for SocketBufferBytes of
// receive buffer (the default ~208 KiB drops the bursts of a probe
// replaying at full speed). As root (CI) SO_RCVBUFFORCE grants it whatever
// net.core.rmem_max says; otherwise the grant is what the kernel allows,
// and the collector warns below a quarter of it.
func TestSocketBuffers(t *testing.T) {
	l, err := ListenUDP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := l.ReadBufferBytes()
	t.Logf("receive buffer granted: %d kB", got>>10)
	if got <= 0 {
		t.Fatalf("receive buffer %d", got)
	}
	if os.Geteuid() == 0 && runtime.GOOS == "linux" && got < SocketBufferBytes {
		t.Errorf("as root: %d kB of receive buffer, want %d kB (SO_RCVBUFFORCE)", got>>10, SocketBufferBytes>>10)
	}
}
