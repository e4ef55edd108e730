package tui

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/queries"
)

// TestStripAddsUp: the throughput strip puts every IP byte of the main
// class somewhere, whether it comes from the ip_bytes counters (each
// interval spread over the buckets it covers) or from flows spread over
// their lifetimes. The lab FTP capture A (7.4 s) replayed with 1 s
// intervals: 8,150,454 IP bytes in class all (the overview's figure,
// TestGoldenOverview; engine/pipeline checks the flows' bytes against
// tshark). 20 buckets are at most four times finer than the 1 s intervals
// (counters); 118 are not (flows).
func TestStripAddsUp(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "one-second.yaml")
	if err := os.WriteFile(cfg, []byte("interval_s: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "tmon-out")
	testout.Run(t, "replay", "-q", "--progress", "never", "--config", cfg, "--out", out, capture(t, ftpLab))
	db, err := queries.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	gs, err := loadGroups(ctx, db, "")
	if err != nil {
		t.Fatal(err)
	}
	mains := mainClasses(gs)
	if len(mains) != 1 || mains[0].class != "all" || mains[0].bytes != 8_150_454 || mains[0].packets != 7_799 {
		t.Fatalf("main classes %+v, want all with 7,799 packets and 8,150,454 bytes", mains)
	}
	for _, tc := range []struct {
		w     int
		exact bool
	}{{20, true}, {118, false}} {
		s, err := loadStrip(ctx, db, tc.w, gs)
		if err != nil {
			t.Fatal(err)
		}
		sum := 0.0
		for _, v := range s.vals {
			sum += v
		}
		if s.exact != tc.exact || math.Abs(sum-8_150_454) > 1e-6*8_150_454 || s.vals[0] == 0 || s.vals[tc.w-1] == 0 {
			t.Errorf("%d buckets: exact %v (want %v), %.1f bytes (want 8,150,454), first %.0f last %.0f",
				tc.w, s.exact, tc.exact, sum, s.vals[0], s.vals[tc.w-1])
		}
	}
}

// TestStripNoFlows: a strip over no flow (a live run whose flows table
// has no row yet) says so instead of drawing an empty chart over 1970.
func TestStripNoFlows(t *testing.T) {
	m, _, _ := screenModel(t, replayed(t, ftpLab))
	s, err := loadStrip(context.Background(), m.e.db, 50, []flowGroup{})
	if err != nil {
		t.Fatal(err)
	}
	m.tabs[0].(*overview).strip = s
	v := plain(m)
	if !strings.Contains(v, "Throughput  no flows to add up") || strings.Contains(v, "1970-01-01") || strings.Contains(v, "▲") {
		t.Fatalf("strip over no flow:\n%s", v)
	}
}
