package tcpconn

import (
	"bytes"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// TestTrackerAppendConnBytes checks that Tracker.AppendConn, which writes
// the emitted row's addresses from their netip.Addr, gives the bytes of
// AppendConn, which parses them from their text, for every row of the
// package's captures and of IPv4 and IPv6 lab captures, rows emitted at
// once and rows queued first (a table of 4 connections evicts: pending
// rows, drained by Expire and Flush), and for a copy of the row, which is
// not the tracker's (AppendConn's path).
func TestTrackerAppendConnBytes(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.pcap*")
	if err != nil || len(paths) == 0 {
		t.Fatalf("captures: %v %v", paths, err)
	}
	paths = append(paths, samplesDir(t)+"/lab/tcp-mix/A.pcap", samplesDir(t)+"/pcap/ipv6/chrissanders_http_ip4and6.pcapng")
	n, v6, queued := 0, 0, 0
	for _, path := range paths {
		ds := readDissections(t, path)
		for _, maxConns := range []int{DefaultConfig().MaxConns, 4} {
			cfg := DefaultConfig()
			cfg.MaxConns = maxConns
			tr := New(cfg)
			var e1, e2 pdu.Enc
			emit := func(iface uint16, r *observe.TCPConnection) {
				e1.B, e2.B = e1.B[:0], e2.B[:0]
				AppendConn(&e1, iface, r)
				tr.AppendConn(&e2, iface, r)
				if !bytes.Equal(e1.B, e2.B) {
					t.Errorf("%s: row %+v: Tracker.AppendConn % x, AppendConn % x", path, *r, e2.B, e1.B)
				}
				n++
				if r != &tr.row {
					queued++
				}
				if netip.MustParseAddr(r.ClientAddr).Is6() {
					v6++
				}
				c := *r // not the tracker's: AppendConn's path
				e2.B = e2.B[:0]
				tr.AppendConn(&e2, iface, &c)
				if !bytes.Equal(e1.B, e2.B) {
					t.Errorf("%s: copied row: % x, want % x", path, e2.B, e1.B)
				}
			}
			for i := range ds {
				tr.Packet(&ds[i], "web", false)
				tr.Expire(ds[i].Meta.Clock(), emit)
			}
			tr.Flush(0, emit)
			if tr.cur != nil {
				t.Errorf("%s: the tracker still names a row after its emits", path)
			}
		}
	}
	if n == 0 || v6 == 0 || queued == 0 {
		t.Fatalf("%d rows, %d of IPv6, %d queued first: the captures should give all", n, v6, queued)
	}
}
