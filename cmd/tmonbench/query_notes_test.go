package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/store"
)

// TestQueryNoFlowYet: `query summary` (it reads flows) on the output of a
// live capture still running, with rows in rtt_samples and none in flows
// (a flow's row is written when it ends, probe_totals at the end of the
// run), says no flow has ended yet; it said "flows is empty: the run read
// no packet" (the 2026-12-06 trial: rtt_samples held 20 rows). Once the
// run has finished with a probe_totals event of packets=0 (the message of
// a probe that read nothing: a replay's probe_totals of zeek_ntp.pcap reads
// "packets=12 ... ip=12 ...", here zeros), it says the run read no packet;
// a live capture killed before its totals, that no flow had ended. An
// empty pdu_stats while the run goes is said to come at the end.
func TestQueryNoFlowYet(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "live")
	app, err := store.OpenReplace(out, store.Manifest{Mode: store.ModeLive, Command: []string{"tmonbench", "live"}})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	rtt := make([]observe.RTTSample, 20)
	for i := range rtt {
		rtt[i] = observe.RTTSample{Probe: "P1", Kind: "icmp_echo", Proto: "icmp", RequestTime: time.Date(2026, 12, 6, 0, 0, i, 0, time.UTC).UnixNano(), RTTMs: 1}
	}
	if err := app.Write(&observe.Batch{RTTSamples: rtt}); err != nil {
		t.Fatal(err)
	}
	running := "tmonbench query: flows is empty: no flow has ended yet: the live capture writing it is still going (a flow's row is written when it ends: idle, evicted or at the end of the run)\n"
	code, _, stderr := tmon(t, "query", "--out", out, "summary")
	if code != 0 || !strings.HasPrefix(stderr, running) || strings.Contains(stderr, "read no packet") {
		t.Errorf("query summary during a live capture: exit %d, stderr %q, want it to start with %q", code, stderr, running)
	}
	// pdu_stats too is written at the end (each probe's final report): a
	// trial's `--sql 'select count(*) from pdu_stats'` during a replay gave
	// 0 with only the general note that the run still goes
	pduNote := "tmonbench query: pdu_stats is empty: the live capture writing it is still going: pdu_stats is written at the end of each probe's run (its final report)\n"
	if code, _, stderr := tmon(t, "query", "--out", out, "--sql", "select count(*) from pdu_stats"); code != 0 || !strings.Contains(stderr, pduNote) {
		t.Errorf("query pdu_stats during a live capture: exit %d, stderr %q, want it to hold %q", code, stderr, pduNote)
	}
	totals := observe.Event{Time: time.Date(2026, 12, 6, 0, 1, 0, 0, time.UTC).UnixNano(), Source: "probe:P1", Kind: "probe_totals", Severity: "info",
		Message: "packets=0 bytes=0 ip=0 not_ip=0 malformed=0 matched=0 anomalies=0 flows=0"}
	if err := app.Write(&observe.Batch{Events: []observe.Event{totals}}); err != nil {
		t.Fatal(err)
	}
	app.Close()
	if code, _, stderr := tmon(t, "query", "--out", out, "summary"); code != 0 || stderr != "tmonbench query: flows is empty: the run read no packet (tmonbench query events)\n" {
		t.Errorf("query summary after a live capture of no packet: exit %d, stderr %q", code, stderr)
	}

	// killed: run.json still says running, its process is gone, no totals
	killed := filepath.Join(dir, "killed")
	app2, err := store.OpenReplace(killed, store.Manifest{Mode: store.ModeLive, Command: []string{"tmonbench", "live"}})
	if err != nil {
		t.Fatal(err)
	}
	app2.Close()
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(killed, "run.json"))
	var m map[string]any
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err != nil {
		t.Fatal(err)
	}
	m["state"], m["pid"] = "running", gone.Process.Pid
	b, _ = json.Marshal(m)
	if err := os.WriteFile(filepath.Join(killed, "run.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	want := "tmonbench query: flows is empty: no flow had ended when the run writing it stopped without finishing (killed?: it wrote no probe_totals event)\n"
	if code, _, stderr := tmon(t, "query", "--out", killed, "summary"); code != 0 || !strings.HasSuffix(stderr, want) || strings.Contains(stderr, "read no packet") {
		t.Errorf("query summary after a killed live capture: exit %d, stderr %q, want it to end with %q", code, stderr, want)
	}
}

// TestQueryRunningOneNote: `query summary` on the output of a collector
// still running (reproduced with `tmonbench collector` on
// samples/dist.yaml, no probe yet) printed two notes saying the same: the
// empty table's ("flows is empty: no flow has ended yet: the collector
// writing it is still going (a flow's row is written when it ends ...)")
// and the general one ("the collector writing OUT is still running (pid
// N, started T): these are the rows written so far (a flow's row is
// written when it ends ...)"). The table's note names the empty table
// and when its rows come: it alone is printed. A query whose empty tables
// say nothing of the run (rows, or another reason) still gets the general
// note, once.
func TestQueryRunningOneNote(t *testing.T) {
	out := filepath.Join(t.TempDir(), "coll")
	app, err := store.OpenReplace(out, store.Manifest{Mode: store.ModeCollector, Command: []string{"tmonbench", "collector"}})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	rtt := []observe.RTTSample{{Probe: "P1", Kind: "icmp_echo", Proto: "icmp", RequestTime: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC).UnixNano(), RTTMs: 1}}
	if err := app.Write(&observe.Batch{RTTSamples: rtt}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"summary"}, "tmonbench query: flows is empty: no flow has ended yet: the collector writing it is still going (a flow's row is written when it ends: idle, evicted or at the end of the run)\n"},
		{[]string{"--sql", "select count(*) from pdu_stats"}, "tmonbench query: pdu_stats is empty: the collector writing it is still going: pdu_stats is written at the end of each probe's run (its final report)\n"},
		{[]string{"--sql", "select count(*) from rtt_samples"}, "tmonbench query: the collector writing " + out + " is still running (pid " + strconv.Itoa(os.Getpid()) + ", started "},
	} {
		code, _, stderr := tmon(t, append([]string{"query", "--out", out}, c.args...)...)
		if code != 0 || !strings.HasPrefix(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("query %q during a collector's run: exit %d, stderr:\n%s\nwant one line starting %q", c.args, code, stderr, c.want)
		}
	}
}

// TestQueryNotesWhileRunning: while a collector runs a configuration with
// a class "all" (counters) and a one-way class "telemetry", its empty
// one-way tables were said empty for reasons that hold only once the run
// has ended: with a flow of "all" in flows, "no packet matched the classes
// that run the oneway analysis (telemetry: no flow of theirs in flows)"
// (their flows had not ended yet); with no flow at all, the flows note "no
// flow has ended yet ... (a flow's row is written when it ends ...)",
// which one-way rows do not wait for. Both now say nothing has come yet
// while the collector goes, one line (no general "still running" after
// it); once it has ended, "no packet matched" holds and is said.
func TestQueryNotesWhileRunning(t *testing.T) {
	cfg := `classes:
  - {name: all, filter: "", granularity: [src_addr, dst_addr], analyses: [counters]}
  - name: telemetry
    filter: "udp and dst port 9000"
    granularity: [dst_addr, dst_port]
    analyses: [oneway]
    oneway: {hops: [A, B], latency: {from: A, to: B}}
`
	running := "tmonbench query: %s is empty: nothing yet: the collector writing it is still going (its rows come as the oneway analysis of telemetry sees traffic)\n"
	for _, c := range []struct {
		name  string
		flows []observe.Flow
		args  []string
		table string
	}{
		{"a flow of another class", []observe.Flow{{Probe: "A", Class: "all", FlowID: 1, Name: "10.0.0.1>10.0.0.2/icmp", Packets: 1, Bytes: 84}},
			[]string{"oneway"}, "oneway_loss"},
		{"no flow", nil, []string{"--sql", "select count(*) from oneway_delays"}, "oneway_delays"},
	} {
		out := filepath.Join(t.TempDir(), "coll")
		app, err := store.OpenReplace(out, store.Manifest{Mode: store.ModeCollector, Command: []string{"tmonbench", "collector"}, Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		rtt := []observe.RTTSample{{Probe: "A", Kind: "icmp_echo", Proto: "icmp", RequestTime: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC).UnixNano(), RTTMs: 1}}
		if err := app.Write(&observe.Batch{Flows: c.flows, RTTSamples: rtt}); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf(running, c.table)
		if code, _, stderr := tmon(t, append([]string{"query", "--out", out}, c.args...)...); code != 0 || stderr != want {
			t.Errorf("%s: query %q during the run: exit %d, stderr:\n%s\nwant\n%s", c.name, c.args, code, stderr, want)
		}
		app.Close()
		if c.flows == nil {
			continue
		}
		ended := "tmonbench query: oneway_loss is empty: no packet matched the classes that run the oneway analysis (telemetry: no flow of theirs in flows)\n"
		if code, _, stderr := tmon(t, append([]string{"query", "--out", out}, c.args...)...); code != 0 || stderr != ended {
			t.Errorf("%s: query %q once ended: exit %d, stderr:\n%s\nwant\n%s", c.name, c.args, code, stderr, ended)
		}
	}
}

// TestRollupRunningOneNote: rollup and enrich on the output of a collector
// still running say so once (as query does since TestQueryRunningOneNote),
// and write their tables.
func TestRollupRunningOneNote(t *testing.T) {
	out := filepath.Join(t.TempDir(), "coll")
	app, err := store.OpenReplace(out, store.Manifest{Mode: store.ModeCollector, Command: []string{"tmonbench", "collector"}})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	at := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC).UnixNano()
	b := &observe.Batch{
		Flows:        []observe.Flow{{Probe: "A", Class: "all", FlowID: 1, Name: "10.0.0.1>10.0.0.2/icmp", SrcAddr: "10.0.0.1", DstAddr: "10.0.0.2", FirstSeen: at, LastSeen: at, Packets: 1, Bytes: 84}},
		FlowCounters: []observe.FlowCounter{{Probe: "A", FlowID: 1, IntervalStart: at, IntervalS: 1, Metric: "packets", Unit: "packets", N: 1, Sum: 1, SumSq: 1, Min: 1, Max: 1}},
	}
	if err := app.Write(b); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"rollup", "enrich"} {
		code, _, stderr := tmon(t, cmd, "-q", "--out", out)
		if n := strings.Count(stderr, "still running") + strings.Count(stderr, "still going"); code != 0 || n != 1 || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s during a collector's run: exit %d, stderr:\n%s\nwant one line saying it still runs", cmd, code, stderr)
		}
	}
}

// TestQueryRTTOneDirection: a class that runs rtt with a filter passing
// the requests only ("udp dst port 53") times nothing and counts every
// request unanswered; `query rtt` printed "(0 rows)" alone (trial3 D9: a
// class "icmp and dst host X" read as 1500 pings unanswered, their 1459
// replies in the capture). It now says why. zeek_wikipedia holds 14 DNS
// queries to port 53: tshark -r samples/zeek_wikipedia.pcap -Y
// 'udp.dstport==53 && dns.flags.response==0' | wc -l.
func TestQueryRTTOneDirection(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("classes:\n  - {name: dnsq, filter: \"udp dst port 53\", analyses: [counters, rtt], rtt: {kinds: [dns]}}\n"), 0o644)
	out := filepath.Join(dir, "out")
	if code, _, stderr := tmon(t, "replay", "-q", "--config", cfg, "--out", out, filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")); code != 0 {
		t.Fatal(stderr)
	}
	want := "tmonbench query: rtt_samples is empty: the classes that run the rtt analysis saw requests but not one response (dnsq, filter \"udp dst port 53\": 14 dns requests; event rtt_totals): a class times a request by its response only when its filter passes the response too, so a filter that names one direction (dst host, dst port) leaves every request unanswered (flow_counters rtt_unanswered_<kind>)\n"
	if code, stdout, stderr := tmon(t, "query", "--out", out, "rtt"); code != 0 || stderr != want || !strings.HasSuffix(stdout, "(0 rows)\n") {
		t.Errorf("query rtt: exit %d, stdout %q, stderr %q, want (0 rows) and %q", code, stdout, stderr, want)
	}
	// a class whose traffic holds no request of its kinds (web traffic
	// timed for dns)
	os.WriteFile(cfg, []byte("classes:\n  - {name: web, filter: \"tcp port 80\", analyses: [counters, rtt], rtt: {kinds: [dns]}}\n"), 0o644)
	if code, _, stderr := tmon(t, "replay", "-q", "--config", cfg, "--out", out, filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")); code != 0 {
		t.Fatal(stderr)
	}
	want = "tmonbench query: rtt_samples is empty: the classes that run the rtt analysis saw no request of the kinds they time (web: event rtt_totals)\n"
	if code, _, stderr := tmon(t, "query", "--out", out, "rtt"); code != 0 || stderr != want {
		t.Errorf("query rtt of a class without requests: exit %d, stderr %q, want %q", code, stderr, want)
	}
	// both directions: samples, no note
	os.WriteFile(cfg, []byte("classes:\n  - {name: dns, filter: \"udp port 53\", analyses: [counters, rtt], rtt: {kinds: [dns]}}\n"), 0o644)
	if code, _, stderr := tmon(t, "replay", "-q", "--config", cfg, "--out", out, filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")); code != 0 {
		t.Fatal(stderr)
	}
	if code, stdout, stderr := tmon(t, "query", "--out", out, "rtt"); code != 0 || stderr != "" || !strings.Contains(stdout, "│ dns  │      14 │") {
		t.Errorf("query rtt over both directions: exit %d, stdout %q, stderr %q, want 14 dns samples and no note", code, stdout, stderr)
	}
}
