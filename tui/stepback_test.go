package tui

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/internal/capgen"
	"github.com/tmonbench/tmonbench/internal/testdb"
	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/queries"
)

// stepBackFrames: capture time steps back by nine years in the middle of
// the file, as `mergecap -a` of a 2020 capture then a 2011 one gives
// (the tester's zeek_icmp_5-pings.pcap + zeek_wikipedia.pcap): 5 ICMP
// echoes in 2020, then 7 DNS queries and their 7 answers in 2011.
// testdata/stepback.pcap is these frames (capgen; go test ./tui -run
// TestPacketsTimeStepsBack -update rewrites it).
func stepBackFrames() []capgen.Frame {
	t2020 := time.Date(2020, 12, 8, 19, 10, 3, 0, time.UTC).UnixNano()
	t2011 := time.Date(2011, 3, 18, 19, 6, 8, 0, time.UTC).UnixNano()
	var fr []capgen.Frame
	a, b := capgen.AP("192.0.2.1:0").Addr(), capgen.AP("192.0.2.2:0").Addr()
	for i := range 5 {
		fr = append(fr, capgen.Frame{TimeNs: t2020 + int64(i)*int64(time.Second),
			Data: capgen.ICMPEcho{Src: a, Dst: b, ID: 1, Seq: uint16(i + 1), Payload: []byte("ping")}.Frame()})
	}
	cli, dns := capgen.AP("198.51.100.118:43927"), capgen.AP("198.51.100.2:53")
	for i := range 7 {
		at := t2011 + int64(i)*int64(100*time.Millisecond)
		fr = append(fr,
			capgen.Frame{TimeNs: at, Data: capgen.UDP{Src: cli, Dst: dns, Payload: []byte("query")}.Frame()},
			capgen.Frame{TimeNs: at + int64(time.Millisecond), Data: capgen.UDP{Src: dns, Dst: cli, Payload: []byte("answer")}.Frame()})
	}
	return fr
}

// TestPacketsTimeStepsBack: p on a flow captured after the capture's
// clock stepped back listed "0 packets ... (no packet of this flow in the
// capture file between its first and last seen times)": the packet index
// noted no entry where time went back (its every-second rule compares
// with the last entry, nine years ahead), and the reader, starting from
// the file's start, stopped at the first packet, later than the flow.
// Now the index starts a segment there and the reader reads every
// segment that can hold the flow's times. tcpdump -r
// testdata/stepback.pcap 'udp src port 53' prints 7 packets, 'udp port
// 53' 14, 'icmp' 5.
func TestPacketsTimeStepsBack(t *testing.T) {
	path := capgen.Golden(t, filepath.Join("testdata", "stepback.pcap"), capgen.PCAP(stepBackFrames(), false))
	out := filepath.Join(t.TempDir(), "out")
	testout.Run(t, "replay", "-q", "--progress", "never", "--out", out, path)
	db := testdb.Open(t, out)
	for _, tc := range []struct {
		where string
		both  bool
		want  int
	}{
		{"src_port = 53", false, 7},
		{"src_port = 53", true, 14}, // r: both directions
		{"protocol = 1 AND dst_addr = '192.0.2.2'", false, 5},
	} {
		res, err := queries.Run(db, "SELECT * FROM flows WHERE "+tc.where+" LIMIT 1")
		if err != nil || len(res.Rows) != 1 {
			t.Fatalf("%s: %v %v", tc.where, res, err)
		}
		r := row{}
		for i, c := range res.Columns {
			r[c] = res.Rows[0][i]
		}
		sel := packetsOf(r)
		sel.both = tc.both
		d, err := readPackets(context.Background(), db, out, sel)
		if err != nil {
			t.Fatalf("%s: %v", tc.where, err)
		}
		if len(d.pkts) != tc.want {
			t.Errorf("%s: %d packets (%s), tcpdump counts %d", tc.where, len(d.pkts), d.how, tc.want)
		}
	}
}
