package pdu

import (
	"net"
	"os"
	"runtime"
	"testing"
	"time"
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

// TestUDPAcksKeptUntilPoll: a channel sends 3,000 PDUs in one drain
// (Flush) to a collector on 127.0.0.1 that acknowledges each, and polls
// only once every ack has been read off the socket: Poll hands all 3,000
// to the Sender, none pending. The link kept at most 1,024 acks between
// two polls and dropped the rest: a probe -i under a ping flood ended with
// 1,819 PDUs unacknowledged (and unretried) though the collector had
// accepted all 8,445.
func TestUDPAcksKeptUntilPoll(t *testing.T) {
	const pdus = 3000
	_, link, stop := udpCollector(t)
	s := NewSender(DefaultSenderConfig(), 5, link)
	g := newGen(s)
	now := t0
	for s.Stats().PDUs[TypeCounters] < pdus {
		for range 100 {
			g.rec(TypeCounters, now)
		}
	}
	s.Flush(now)
	sent := s.Stats().PDUs[TypeCounters]
	// Wait (no assertion on time) until the reader has read an ack per
	// PDU; each datagram on loopback arrives or is counted lost by the
	// kernel, which at this rate, with 8 MiB buffers, it is not.
	for link.Stats().Received < sent {
		time.Sleep(time.Millisecond)
	}
	link.Poll(s, now)
	stop()
	if us := link.Stats(); s.Pending() != 0 || us.AcksDropped != 0 {
		t.Errorf("%d PDUs sent in one drain, %d acks read: %d still pending after one Poll, %d acks dropped", sent, us.Received, s.Pending(), us.AcksDropped)
	}
}
