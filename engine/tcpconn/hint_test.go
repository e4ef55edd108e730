package tcpconn

import (
	"reflect"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestHintsSameRows: the rows do not depend on the hints a caller keeps
// (issue 14: the flow record's handle replaces the connection index). A
// hint per connection (the default 5-tuple flows), per address pair (a
// coarser flow holding several connections) and one hint shared by every
// packet (always stale) give the rows of Packet, on every committed
// capture with TCP.
func TestHintsSameRows(t *testing.T) {
	files := testsamples.Captures(t)
	files = append(files, "testdata/tcp-late-syn.pcap", "testdata/tcp-stray-synack.pcap", "testdata/tcp-syn-retransmitted.pcap", "testdata/tcp-zeek-rexmit.pcap", "testdata/tcp-zero-window-probe.pcap")
	tcpFiles := 0
	for _, f := range files {
		ds := readDissections(t, f)
		want, tr := run(t, DefaultConfig(), ds, false)
		if tr.Stats().Created == 0 {
			continue
		}
		tcpFiles++
		perConn := map[key]*Hint{}
		perPair := map[[2][16]byte]*Hint{}
		var shared Hint
		hinters := map[string]func(d *dissect.Dissection) *Hint{
			"per connection": func(d *dissect.Dissection) *Hint {
				k := makeKey(d)
				if perConn[k] == nil {
					perConn[k] = new(Hint)
				}
				return perConn[k]
			},
			"per address pair": func(d *dissect.Dissection) *Hint {
				k := makeKey(d)
				p := [2][16]byte{k.a, k.b}
				if perPair[p] == nil {
					perPair[p] = new(Hint)
				}
				return perPair[p]
			},
			"shared": func(*dissect.Dissection) *Hint { return &shared },
		}
		for name, h := range hinters {
			if got, _ := runHinted(DefaultConfig(), ds, false, h); !reflect.DeepEqual(got, want) {
				t.Errorf("%s, a hint %s: %d rows differ from Packet's %d", f, name, len(got), len(want))
			}
		}
	}
	if tcpFiles < 20 {
		t.Fatalf("only %d captures with TCP connections", tcpFiles)
	}
}

// TestHintStale: hints that name no connection (out of range, negative,
// a slot freed by port reuse and taken again) are checked, not trusted:
// the rows are Packet's, and a port reuse still starts a new connection.
func TestHintStale(t *testing.T) {
	segs := append(append([]seg{}, handshake()...),
		seg{ms: 3, fromClient: true, flags: FA, seq: isnC + 1, ack: isnS + 1},
		seg{ms: 4, flags: FA, seq: isnS + 1, ack: isnC + 2},
		seg{ms: 1000, fromClient: true, flags: S, seq: 90000},
		seg{ms: 1001, flags: SA, seq: 7000, ack: 90001},
		seg{ms: 1002, fromClient: true, flags: A, seq: 90001, ack: 7001})
	plain := New(DefaultConfig())
	feedSegs(plain, segs, false)
	want := flushAll(plain)
	if len(want) != 2 || want[1].History != "ShA" {
		t.Fatalf("Packet's rows %+v", want)
	}
	for _, stale := range []Hint{1 << 30, -5, 1, 2} {
		tr := New(DefaultConfig())
		for _, s := range segs {
			d := s.dissection()
			h := stale
			tr.PacketHint(&d, "synthetic", false, &h)
		}
		if got := flushAll(tr); !reflect.DeepEqual(got, want) {
			t.Errorf("hint %d: rows %+v, want %+v", stale, got, want)
		}
		if st := tr.Stats(); st.PortReuses != 1 || st.Created != 2 {
			t.Errorf("hint %d: stats %+v", stale, st)
		}
	}
}

// TestHintSelfConnection: a connection from an address and port to
// themselves (both ends of its key one) first seen from a SYN-ACK counts
// every segment as the client's, as Packet always did (its client and
// server ends being equal, each segment is sent by the client), whether
// the hint names it (the sender then comes from the key's check) or not.
func TestHintSelfConnection(t *testing.T) {
	segs := []seg{
		{ms: 0, flags: SA, seq: isnS, ack: isnC + 1},
		{ms: 1, flags: A, seq: isnS + 1, ack: isnS + 1},
		{ms: 2, flags: A, seq: isnS + 1, ack: isnS + 1, len: 10},
	}
	for _, hinted := range []bool{false, true} {
		tr := New(DefaultConfig())
		var h Hint
		for _, s := range segs {
			d := s.dissection()
			d.DstAddr, d.DstPort = d.SrcAddr, d.SrcPort
			if !hinted {
				h = 0
			}
			tr.PacketHint(&d, "synthetic", false, &h)
		}
		rows := flushAll(tr)
		if len(rows) != 1 || rows[0].ClientPackets != 3 || rows[0].ServerPackets != 0 {
			t.Errorf("hinted %v: rows %+v, want one with 3 client packets", hinted, rows)
		}
	}
}
