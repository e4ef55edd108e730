package queries

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestLossPatternSelection: the loss-pattern query over testDelays' flow
// 2, worked by hand. In send order: 1 ok, 2-3 lost, 4 ok, 5 ok, 6 ok, 7
// lost, 8 ok, 9 dropped, 10 lost, 11 ok. Loss periods (RFC 3357): {2,3},
// {7}, {10} (the dropped 9 is not a loss and ends nothing that 8 had not
// ended): 3 periods, mean 1.33, longest 2. Arrival order 1, 4, 6, 8, 5,
// 11 (5 was delayed 5 ms; its copy, which came before 4, is not in the
// sequence): 5 arrived when 8 had, so 1 reordered (RFC 4737 §3.3) of 6
// delivered, 16.667 %. Flow 1 has one period of one packet (its third)
// and nothing reordered; its second interval, 50 lost with no per-packet
// rows, has no period.
func TestLossPatternSelection(t *testing.T) {
	db := openTest(t)
	q, err := Get("loss-pattern")
	if err != nil {
		t.Fatal(err)
	}
	res := run(t, db, "SELECT flow_id, loss_periods, loss_period_mean_pkts, loss_period_max_pkts, reordered, reordered_pct FROM ("+q.Wide+") w JOIN (SELECT DISTINCT flow, flow_id FROM oneway_loss) USING (flow) ORDER BY flow_id, interval_start")
	want := "[[1 1 1 1 0 0] [1 0 <nil> <nil> 0 <nil>] [2 3 1.33 2 1 16.667]]"
	if got := fmt.Sprint(res.Rows); got != want {
		t.Errorf("loss-pattern = %s, want %s", got, want)
	}
}

// TestLossPatternQueryTruth: the loss-pattern query over lab/oneway-udp
// at A and B (samples/oneway-lab.yaml, 10 s intervals) against
// ground_truth.csv: per interval of the first lost packet's send time at
// A, the runs of consecutive sequence numbers without ts_b_ns (RFC 3357
// loss periods: 44 in the first interval, two of them 2 long, 13 of one
// packet in the second), and no packet that reached B after one with a
// higher sequence number (RFC 4737; the lab's netem reorders nothing).
func TestLossPatternQueryTruth(t *testing.T) {
	cfg := filepath.Join(testout.ModuleRoot(t), "samples", "oneway-lab.yaml")
	rows := namedRows(t, "loss-pattern", "--config", cfg,
		"--probe", "A="+testsamples.Path(t, "lab", "oneway-udp", "A.pcap"), "--probe", "B="+testsamples.Path(t, "lab", "oneway-udp", "B.pcap"))
	const intervalNs = 10e9
	type agg struct{ periods, longest, lostIn, reordered int }
	truth := map[int64]*agg{}
	run, start := 0, int64(0)
	end := func() {
		if run > 0 {
			g := truth[start/intervalNs*intervalNs]
			g.periods, g.longest, g.lostIn = g.periods+1, max(g.longest, run), g.lostIn+run
		}
		run = 0
	}
	var arrivals []labDatagram
	for _, x := range labUDPTruth(t) {
		if truth[x.a/intervalNs*intervalNs] == nil {
			truth[x.a/intervalNs*intervalNs] = &agg{}
		}
		if !x.delivered {
			if run == 0 {
				start = x.a
			}
			run++
			continue
		}
		end()
		arrivals = append(arrivals, x)
	}
	end()
	// RFC 4737 §3.3: in arrival order, a sequence number below the
	// highest one arrived before it (NextExp) is reordered
	slices.SortStableFunc(arrivals, func(x, y labDatagram) int { return cmp.Compare(x.b, y.b) })
	highest := -1
	for _, x := range arrivals {
		if x.seq < highest {
			truth[x.a/intervalNs*intervalNs].reordered++
		}
		highest = max(highest, x.seq)
	}
	if len(rows) != len(truth) {
		t.Fatalf("%d rows, the truth has %d intervals", len(rows), len(truth))
	}
	for _, r := range rows {
		start, _ := r["interval_start"].(time.Time)
		g := truth[start.UnixNano()]
		if g == nil {
			t.Fatalf("row %v not in the truth", r)
		}
		mean := float64(g.lostIn) / float64(g.periods)
		if num(t, r["loss_periods"]) != float64(g.periods) || num(t, r["loss_period_max_pkts"]) != float64(g.longest) ||
			fmt.Sprintf("%.2f", num(t, r["loss_period_mean_pkts"])) != fmt.Sprintf("%.2f", mean) || num(t, r["reordered"]) != float64(g.reordered) {
			t.Errorf("interval %v: %v periods, longest %v, mean %v, %v reordered; truth %d, %d, %.2f, %d",
				start, r["loss_periods"], r["loss_period_max_pkts"], r["loss_period_mean_pkts"], r["reordered"], g.periods, g.longest, mean, g.reordered)
		}
	}
}

// TestLossPatternReordered: lab/oneway-udp with B's capture reordered, the
// packets of every 50th pair of B.pcap swapped (contents exchanged, the
// time slots kept: the later-sent datagram now reaches B first), 98 pairs.
// Each swap makes one datagram arrive after one sent later: 98 reordered
// (RFC 4737 §3.3), each counted in the interval of its send time at A
// (ground_truth.csv: B's i-th packet is the i-th arrival there); delivered
// and lost stay the truth's 4941 and 59.
func TestLossPatternReordered(t *testing.T) {
	dir := t.TempDir()
	in, err := os.Open(testsamples.Path(t, "lab", "oneway-udp", "B.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	r, err := pcapgo.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	type rec struct {
		ci   gopacket.CaptureInfo
		data []byte
	}
	var recs []rec
	for {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec{ci, data})
	}
	var swapped []int
	for i := 49; i+1 < len(recs); i += 50 {
		recs[i].data, recs[i+1].data = recs[i+1].data, recs[i].data
		recs[i].ci.CaptureLength, recs[i+1].ci.CaptureLength = recs[i+1].ci.CaptureLength, recs[i].ci.CaptureLength
		recs[i].ci.Length, recs[i+1].ci.Length = recs[i+1].ci.Length, recs[i].ci.Length
		swapped = append(swapped, i)
	}
	b2 := filepath.Join(dir, "B-reordered.pcap")
	f, err := os.Create(b2)
	if err != nil {
		t.Fatal(err)
	}
	w := pcapgo.NewWriterNanos(f)
	if err := w.WriteFileHeader(r.Snaplen(), r.LinkType()); err != nil {
		t.Fatal(err)
	}
	for _, x := range recs {
		if err := w.WritePacket(x.ci, x.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	// the truth: B's arrivals in time order, each with its send time at A
	var arrivals []labDatagram
	for _, x := range labUDPTruth(t) {
		if x.delivered {
			arrivals = append(arrivals, x)
		}
	}
	slices.SortStableFunc(arrivals, func(x, y labDatagram) int { return cmp.Compare(x.b, y.b) })
	if len(arrivals) != len(recs) || len(swapped) != 98 {
		t.Fatalf("%d arrivals in the truth, %d packets in B.pcap, %d swaps", len(arrivals), len(recs), len(swapped))
	}
	const intervalNs = 10e9
	want := map[int64]float64{}
	for _, i := range swapped {
		want[arrivals[i].a/intervalNs*intervalNs]++ // the earlier-sent one, now second
	}

	cfg := filepath.Join(testout.ModuleRoot(t), "samples", "oneway-lab.yaml")
	rows := namedRows(t, "loss-pattern", "--config", cfg,
		"--probe", "A="+testsamples.Path(t, "lab", "oneway-udp", "A.pcap"), "--probe", "B="+b2)
	var delivered, lost float64
	for _, row := range rows {
		start, _ := row["interval_start"].(time.Time)
		delivered += num(t, row["delivered"])
		lost += num(t, row["lost"])
		if got := num(t, row["reordered"]); got != want[start.UnixNano()] {
			t.Errorf("interval %v: %v reordered, want %v", start, got, want[start.UnixNano()])
		}
	}
	if delivered != 4941 || lost != 59 {
		t.Errorf("%v delivered, %v lost; the truth 4941 and 59", delivered, lost)
	}
}
