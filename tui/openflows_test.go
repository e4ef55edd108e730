package tui

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/tmonbench/tmonbench/internal/capgen"
	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/queries"
)

// longFlowFrames is one long-lived UDP flow, 192.0.2.1:40000 ->
// 192.0.2.2:9000 (a port none of the default classes but all matches),
// two datagrams a second for 20 s from capgen.Base + 100 ms, each of 100
// payload bytes: IP total length 20 + 8 + 100 = 128 bytes, so 256 IP
// bytes in each of the 20 one-second intervals and 40 × 128 = 5120 in
// all (tshark -r testdata/longflow.pcap -T fields -e ip.len -e
// frame.time_epoch says the same: 40 packets, 5120 IP bytes, 256 in each
// of 20 seconds). testdata/longflow.pcap is these frames (go test ./tui -run
// TestStripOpenFlows -update rewrites it).
func longFlowFrames() []capgen.Frame {
	var fr []capgen.Frame
	u := capgen.UDP{Src: capgen.AP("192.0.2.1:40000"), Dst: capgen.AP("192.0.2.2:9000"), Payload: make([]byte, 100)}
	for i := range 40 {
		fr = append(fr, capgen.Frame{TimeNs: capgen.Ms(100 + 500*float64(i)), Data: u.Frame()})
	}
	return fr
}

// TestStripOpenFlows: on a running collector's output whose only flow is
// long-lived (not ended: flows holds its empty part, flow_counters the
// intervals closed so far, as a collector fed by a probe on
// testdata/longflow.pcap at realtime writes it: a trial at 19:18 UTC on
// 2026-12-07, --interval 1, after 9 s: flows empty, 6 ip_bytes rows of
// 1280 B), the Overview's throughput strip read flows only and said "no
// flows to add up yet". It now adds up the ip_bytes counters of the flows
// without a row: the strip spans the 20 intervals (capgen.Base to
// Base + 20 s) and holds their 20 × 256 = 5120 IP bytes (longFlowFrames'
// construction), spread evenly (each bucket its share of 256 B/s), and
// its caption says these flows count in every class they match.
func TestStripOpenFlows(t *testing.T) {
	path := capgen.Golden(t, filepath.Join("testdata", "longflow.pcap"), capgen.PCAP(longFlowFrames(), false))
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(cfg, []byte("interval_s: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	testout.Run(t, "replay", "-q", "--progress", "never", "--config", cfg, "--out", out, path)
	emptyFlows(t, out)
	setMode(t, out, "collector")
	setRunState(t, out, true)

	db, err := queries.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var flows, intervals int
	var counted float64
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM flows), count(*), sum(sum) FROM flow_counters WHERE metric = 'ip_bytes'`).Scan(&flows, &intervals, &counted); err != nil || flows != 0 || intervals != 20 || counted != 5120 {
		t.Fatalf("the output: %d flows, %d ip_bytes intervals of %g B (%v); want 0, 20 of 5120 B", flows, intervals, counted, err)
	}
	const w = 100
	s, err := loadStrip(context.Background(), db, w, nil)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, v := range s.vals {
		sum += v
	}
	lo, hi := capgen.Base, capgen.Base+int64(20*time.Second)-1
	if s.lo != lo || s.hi != hi || !s.open || !s.exact || math.Abs(sum-5120) > 1e-6 {
		t.Fatalf("strip [%d, %d] open %v exact %v, %g IP bytes; want [%d, %d] open, exact, 5120", s.lo, s.hi, s.open, s.exact, sum, lo, hi)
	}
	bw := float64((hi-lo)/w + 1)     // ns a bucket
	for i, v := range s.vals[:w-1] { // the last bucket runs past the span's end
		if want := 256 * bw / 1e9; math.Abs(v-want) > 1e-6 {
			t.Fatalf("bucket %d: %g IP bytes, want %g (256 B/s over %g ns)", i, v, want, bw)
		}
	}

	m := newTestModel(t, out)
	drive(t, m, tea.WindowSizeMsg{Width: w + 2, Height: 40})
	drive(t, m, runCmd(m.Init())...)
	screen := plain(m)
	if !strings.Contains(screen, "from flow_counters (flows not ended yet: in every class they match)") || strings.Contains(screen, "no flows to add up") {
		t.Fatalf("the Overview of a running output with one long-lived flow:\n%s", screen)
	}
}

// emptyFlows makes out's flows table what a collector writes before any
// flow has ended: one empty part (its writer's first, in the partition
// folders of no date and no probe), the rows of the other tables kept.
func emptyFlows(t *testing.T, out string) {
	t.Helper()
	db, err := queries.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tmp := filepath.Join(t.TempDir(), "empty.parquet")
	if _, err := db.Exec(`COPY (SELECT * EXCLUDE (date) FROM flows WHERE false) TO '` + tmp + `' (FORMAT parquet)`); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(out, "flows")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	part := filepath.Join(dir, "date=__HIVE_DEFAULT_PARTITION__", "probe=__HIVE_DEFAULT_PARTITION__", "part-00000.parquet")
	if err := os.MkdirAll(filepath.Dir(part), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, part); err != nil {
		t.Fatal(err)
	}
}
