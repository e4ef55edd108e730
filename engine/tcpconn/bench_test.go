package tcpconn

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// BenchmarkKnownConnections replays zeek_ssh_ssh.pcap (1797 packets, 23
// connections), decoded up front, through a Tracker that already follows
// its connections: the steady-state per-packet path, which must not
// allocate.
func BenchmarkKnownConnections(b *testing.B) {
	ds := readDissections(b, samplesDir(b)+"/pcap/tcp-options/zeek_ssh_ssh.pcap")
	tr := New(DefaultConfig())
	for i := range ds {
		tr.Packet(&ds[i], "ssh", false)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr.Packet(&ds[i%len(ds)], "ssh", false)
	}
	b.StopTimer()
	testsamples.ReportPerPacket(b, b.N)
}

// BenchmarkCapture runs the whole capture through a new Tracker per pass,
// rows included (allocations here are per connection: the table, the row
// strings).
func BenchmarkCapture(b *testing.B) {
	ds := readDissections(b, samplesDir(b)+"/pcap/tcp-options/zeek_ssh_ssh.pcap")
	emit := func(uint16, *observe.TCPConnection) {}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr := New(DefaultConfig())
		for j := range ds {
			tr.Packet(&ds[j], "ssh", false)
		}
		tr.Flush(0, emit)
	}
	b.StopTimer()
	testsamples.ReportPerPacket(b, b.N*len(ds))
}

// TestZeroAllocsRows: after a warm-up pass, a whole pass over a capture
// through a reused Tracker, every connection created, ended and its row
// filled and encoded, allocates nothing (issue 14): connections come from
// the Tracker's free list, the rows' strings are interned and their
// nullable values come from its slabs (pdu.Arena).
func TestZeroAllocsRows(t *testing.T) {
	for _, path := range []string{"/lab/tcp-mix/A.pcap", "/pcap/tcp-options/zeek_ssh_ssh.pcap"} {
		ds := readDissections(t, samplesDir(t)+path)
		tr := New(DefaultConfig())
		var e pdu.Enc
		e.B = make([]byte, 0, 1<<20)
		rows := 0
		emit := func(iface uint16, r *observe.TCPConnection) { AppendConn(&e, iface, r); rows++ }
		pass := func() {
			e.B = e.B[:0]
			for i := range ds {
				tr.Packet(&ds[i], "web", false)
				tr.Expire(ds[i].Meta.Clock(), emit)
			}
			tr.Flush(0, emit)
		}
		pass()
		if rows == 0 {
			t.Fatalf("%s: no row", path)
		}
		if n := testing.AllocsPerRun(3, pass); n != 0 {
			t.Errorf("%s: %.0f allocations per pass of %d packets (%d rows), want 0", path, n, len(ds), rows)
		}
	}
}
