package ftp

import (
	"errors"
	"io"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/internal/testsamples"
	"github.com/tmonbench/tmonbench/replay"
)

// loadTCP dissects the TCP packets of a capture up front (data copied, so
// the Dissections stay valid).
func loadTCP(tb testing.TB, path string) []dissect.Dissection {
	tb.Helper()
	f, err := replay.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	dis := dissect.New()
	var out []dissect.Dissection
	for {
		data, m, err := f.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		var d dissect.Dissection
		if dis.Dissect(append([]byte(nil), data...), m, &d) == nil && d.Has(dissect.HasTCP) {
			out = append(out, d)
		}
	}
	return out
}

// loadedTracker returns a Tracker following 1000 synthetic sessions (so
// the peer cache is not empty) plus the control connection of lab
// session 1 with its announcements.
func loadedTracker(tb testing.TB) *Tracker {
	v := newConv(DefaultConfig())
	v.t.trace = nil
	for i := 0; i < 1000; i++ {
		v.c = netip.AddrFrom4([4]byte{10, 99, byte(i >> 8), byte(i)})
		v.seq = [2]uint32{1000, 5000}
		v.open()
		v.send(0, "PASV\r\n")
		v.send(1, "227 Entering Passive Mode (198,51,100,20,156,65)\r\n")
	}
	return v.t
}

func reportPerPacket(b *testing.B, n int) {
	testsamples.ReportPerPacket(b, b.N*n)
}

// BenchmarkDataNonFTP: Data on the 1,797 packets of an SSH capture
// (samples/pcap/tcp-options/zeek_ssh_ssh.pcap), which no FTP session
// announced: the design 3.6 quick rejection, with an empty tracker and
// with 1000 sessions and their announcements in the cache.
func BenchmarkDataNonFTP(b *testing.B) {
	pkts := loadTCP(b, filepath.Join(samplesDir(b), "pcap", "tcp-options", "zeek_ssh_ssh.pcap"))
	for _, c := range []struct {
		name string
		t    *Tracker
	}{{"empty", New(DefaultConfig())}, {"1000sessions", loadedTracker(b)}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			hits := 0
			for b.Loop() {
				for i := range pkts {
					if _, ok := c.t.Data(&pkts[i]); ok {
						hits++
					}
				}
			}
			if hits != 0 {
				b.Fatalf("%d SSH packets taken as FTP data", hits)
			}
			reportPerPacket(b, len(pkts))
		})
	}
}

// BenchmarkDataFTP: Data on the established data connection of lab
// session 2's 5 MiB RETR (packets already accounted once: the
// steady-state path of a long transfer).
func BenchmarkDataFTP(b *testing.B) {
	pkts := loadTCP(b, filepath.Join(samplesDir(b), "lab", "ftp", "A.pcap"))
	t := New(DefaultConfig())
	var data []dissect.Dissection
	for i := range pkts {
		d := &pkts[i]
		if d.SrcPort == 21 || d.DstPort == 21 {
			t.Control(d)
		} else if _, ok := t.Data(d); ok && (d.SrcPort == 37982 || d.DstPort == 37982) {
			data = append(data, *d)
		}
	}
	if len(data) < 1000 {
		b.Fatalf("%d packets of the 5 MiB transfer", len(data))
	}
	b.ReportAllocs()
	for b.Loop() {
		for i := range data {
			if _, ok := t.Data(&data[i]); !ok {
				b.Fatal("data packet not matched")
			}
		}
	}
	reportPerPacket(b, len(data))
}

// BenchmarkLabCapture: the whole lab capture A (7,799 packets, 5
// sessions, 16 transfers) through a new Tracker per iteration, with
// Flush: the cost per packet including session and transfer set-up.
func BenchmarkLabCapture(b *testing.B) {
	pkts := loadTCP(b, filepath.Join(samplesDir(b), "lab", "ftp", "A.pcap"))
	b.ReportAllocs()
	for b.Loop() {
		t := New(DefaultConfig())
		for i := range pkts {
			d := &pkts[i]
			if d.SrcPort == 21 || d.DstPort == 21 {
				t.Control(d)
			} else {
				t.Data(d)
			}
		}
		t.Flush(pkts[len(pkts)-1].Meta.TimeNs, nil, nil)
	}
	reportPerPacket(b, len(pkts))
}

// TestDataNoAlloc: the rejection path and the established data path
// allocate nothing.
func TestDataNoAlloc(t *testing.T) {
	ssh := loadTCP(t, filepath.Join(samplesDir(t), "pcap", "tcp-options", "zeek_ssh_ssh.pcap"))
	tr := loadedTracker(t)
	if n := testing.AllocsPerRun(10, func() {
		for i := range ssh {
			tr.Data(&ssh[i])
		}
	}); n != 0 {
		t.Errorf("non-FTP: %v allocations per run", n)
	}
	v := newConv(DefaultConfig())
	v.open()
	v.send(0, "PASV\r\n")
	v.send(1, "227 (198,51,100,20,156,65)\r\n")
	v.send(0, "RETR x\r\n")
	v.data(v.c, 50001, v.s, 40001, 1, 0, dissect.TCPSyn)
	if n := testing.AllocsPerRun(100, func() {
		v.data(v.s, 40001, v.c, 50001, 100, 1448, dissect.TCPAck)
	}); n != 0 {
		t.Errorf("FTP data: %v allocations per packet", n)
	}
	// A control segment of a known session with a line parsed in place.
	v.t.trace = nil
	cmd := v.seg(0, 0, "NOOP\r\n", dissect.TCPPsh)
	rep := v.seg(1, 0, "200 ok\r\n", dissect.TCPPsh)
	if n := testing.AllocsPerRun(100, func() {
		cmd.Seq, cmd.Ack = v.seq[0], v.seq[1]
		v.seq[0] += cmd.PayloadLen
		v.t.Control(cmd)
		rep.Seq, rep.Ack = v.seq[1], v.seq[0]
		v.seq[1] += rep.PayloadLen
		v.t.Control(rep)
	}); n != 0 {
		t.Errorf("control: %v allocations per command", n)
	}
}
