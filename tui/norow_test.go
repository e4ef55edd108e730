package tui

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/store"
)

// TestNoFlowRowSaysWhy: a probe killed mid-run (tmonbench probe, SIGKILL,
// interval_s 60: no interval report arrived) leaves its open flows out of
// the flows table, said by the collector's probe_run_incomplete event;
// their round trips still name them. The flow detail of such a flow, from
// the RTT screen, said only "no flows row" (a trial's collector output of
// the lab FTP capture, killed 3.5 s in); it now says the probe run was
// incomplete, with the event's time and text. A flow of a probe no such
// event names still says only "no flows row".
func TestNoFlowRowSaysWhy(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	app, err := store.OpenReplace(out, store.Manifest{Mode: store.ModeCollector, Version: "test", Started: time.Unix(0, 1795964258e9).UTC()})
	if err != nil {
		t.Fatal(err)
	}
	const at = int64(1795964261_016647578) // the run's last PDU that arrived: 2026-11-29 14:57:41.016647578
	msg := "probe q: a run ended without its final report (killed, crashed, or the report never arrived): 40 flows still open in it never got their final totals; run epoch 1796546039010881072, found as the collector finished: what it observed after its last PDU that arrived (built at 2026-11-29T14:57:41.016647578Z, the probe's clock) is missing; 40 of those flows had no totals at all and are left out of flows (rtt_samples, tcp_connections, flow_counters rows of the run may name their flow_id), 0 keep the totals of their last report (packets up to it)"
	sample := func(probe string, id uint64) observe.RTTSample {
		return observe.RTTSample{Probe: probe, FlowID: id, Kind: "tcp_handshake", Proto: "tcp", RequestTime: 1795964260_040533000, RTTMs: 0.021571,
			ClientAddr: "10.10.1.100", ClientPort: 37982, ServerAddr: "198.51.100.10", ServerPort: 40171, Detail: "syn"}
	}
	b := &observe.Batch{
		Events: []observe.Event{{Time: at, Source: "collector", Kind: "probe_run_incomplete", Severity: observe.SevWarning, Message: msg, Count: 40}},
		// a flows table (of another probe) so that the query finds no row, not no table
		Flows:      []observe.Flow{{Probe: "r", Interface: "if0", Class: "all", FlowID: 1, Name: "10.0.0.1>10.0.0.2/icmp", FirstSeen: at, LastSeen: at, Packets: 1, Bytes: 84}},
		RTTSamples: []observe.RTTSample{sample("q", 37), sample("r", 9)},
	}
	if err := app.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}
	m, press, _ := screenModel(t, out)
	press("5")
	screen := screenHas(t, m)
	screen("rtt", "row 1 of 2")
	rows := map[string]string{
		"q": "flow 37 of probe q: no flows row: the probe run was incomplete (probe_run_incomplete at 14:57:41.016647: " + msg + ")",
		"r": "flow 9 of probe r: no flows row",
	}
	seen := map[string]bool{}
	for i := range 2 {
		probe := strings.Fields(lineWith(plain(m), "tcp_handshake"))[0]
		if i == 1 {
			press("down")
			probe = strings.Fields(strings.Split(plain(m), "\n")[4])[0]
		}
		seen[probe] = true
		press("enter")
		v := strings.Join(strings.Fields(plain(m)), " ")
		if want := rows[probe]; !strings.Contains(v, want+" esc: back") {
			t.Errorf("flow of probe %s: screen\n%s\nwant %q", probe, plain(m), want)
		}
		press("esc")
	}
	if !seen["q"] || !seen["r"] {
		t.Errorf("rows of probes %v, want q and r", seen)
	}
}
