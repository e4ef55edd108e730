//go:build linux

package main

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/internal/netlab"
	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/queries"
)

// TestLiveFlowsWaitForIdle: while `tmonbench live --interval 1` runs,
// flow_counters has rows once intervals close but flows (and so query
// summary) has none until a flow has been idle for its class's
// idle_timeout_s or the run ends: docs/live.md said `query summary` printed
// no rows "for the whole first interval", and a trial at --interval 2 found
// it empty 5 s in, with 4 flow_counters rows. The 40 datagrams the lab sent
// are in flow_counters while the capture runs (their packets metric adds up
// to 40, the generator's count), flows is empty, and docs/live.md gives
// the wait as the default configuration's idle_timeout_s of class all.
func TestLiveFlowsWaitForIdle(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "lab.yaml")
	os.WriteFile(cfg, []byte(liveLabConfig), 0o644) // interval_s 1, class lab with the default idle_timeout_s
	out := filepath.Join(dir, "out")
	cmd, stderr := startLive(t, lab.B, testout.Binary(t), "-i", lab.IfB, "--config", cfg, "--out", out, "--name", "idle", "--write-every", "200ms")
	f, err := lab.UDPFrom(netip.MustParseAddr(netlab.AddrA), 40, 100, 0, 9002)
	if err != nil {
		t.Fatal(err)
	}
	// the datagrams' flow in class lab and in class all: two flow ids
	// whose packets add up to the generator's count
	var counted, flows int64
	for deadline := time.Now().Add(time.Minute); counted < 2 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		db, err := queries.Open(out)
		if err != nil {
			continue
		}
		db.QueryRow(`SELECT count(*) FROM (SELECT flow_id FROM flow_counters WHERE metric = 'packets' GROUP BY flow_id HAVING sum(sum) = ?)`, f.Packets).Scan(&counted)
		if err := db.QueryRow(`SELECT count(*) FROM flows`).Scan(&flows); err != nil {
			flows = 0 // no flows view until a part is written
		}
		db.Close()
		if flows > 0 {
			break
		}
	}
	if counted != 2 || flows != 0 {
		t.Errorf("while running: %d flows of flow_counters counted the %d datagrams (want 2: class lab and all), flows has %d rows (want none before a flow is idle for idle_timeout_s)", counted, f.Packets, flows)
	}
	stopLive(t, cmd, stderr)
	db := openOut(t, out)
	if n := queryInt(t, db, `SELECT sum(packets) FROM flows WHERE class = 'lab' AND dst_port = 9002`); n != int64(f.Packets) {
		t.Errorf("after the stop: %d datagrams in flows, sent %d", n, f.Packets)
	}
	// docs/live.md says how long flows waits, from the default configuration
	var idle float64
	for _, c := range config.Default().Classes {
		if c.Name == "all" {
			idle = c.IdleTimeoutS
		}
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "live.md"))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("until a flow has been idle for its class's `idle_timeout_s` (%g s for class `all`", idle)
	if !strings.Contains(strings.Join(strings.Fields(string(doc)), " "), want) {
		t.Errorf("docs/live.md does not say when flows gets its rows: %q (the default configuration's idle_timeout_s of class all)", want)
	}
}
