package collector

import (
	"bytes"
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/journal"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// TestSwitchDurable: a durable collector receiving the lab's PDUs (probes
// A and B: one-way UDP telemetry; C: a TCP mix) switches halfway through
// probe A's frames to a version whose telemetry class keeps no per-packet
// records (records: false). The one-way records open at the switch are flushed, so
// oneway_delays has rows, fewer than without the switch; the switch is
// marked by one config_switch_stop and one config_switch_start event, in
// that order by time; and
// a collector killed after the switch and restarted with the new version
// (a new collector from that version, the journal replayed) ends with
// exactly the rows of the one that was not killed.
func TestSwitchDurable(t *testing.T) {
	cfg, frames := labPDUs(t)
	cfg2, err := config.Parse([]byte(strings.Replace(labConfig, "records: true", "records: false", 1)), "lab-v2.yaml")
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Unix(1_800_000_000, 0)
	opts := func(l *journal.Log) ServerOptions {
		return ServerOptions{Journal: l, Silence: time.Hour, Now: func() time.Time { return clock }}
	}
	ids := []uint16{cfg.ProbeID("A"), cfg.ProbeID("B"), cfg.ProbeID("C")}
	// the switch comes halfway through probe A's frames
	var ofA []int
	for i, f := range frames {
		if h, _, err := pdu.ParseFrame(f); err == nil && h.ProbeID == ids[0] {
			ofA = append(ofA, i)
		}
	}
	half := ofA[len(ofA)/2]
	// run handles frames[from:to] on srv, draining every 40 frames, and
	// switches to cfg2 after frame half-1.
	run := func(srv *Server, from, to int) {
		for i := from; i < to; i++ {
			srv.handle(frames[i], netip.AddrPort{})
			if i%40 == 39 {
				srv.tick(clock, true)
			}
			if i == half-1 {
				if err := srv.Switch(clock.UnixNano(), cfg2, cfg.Hash(), ids, nil); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	start := func(c *config.Config, dir string, sink *memSink) *Server {
		l, err := journal.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		srv := NewServer(labCollector(t, c), &ackRecorder{}, sink, opts(l))
		if _, err := srv.Recover(); err != nil {
			t.Fatal(err)
		}
		return srv
	}
	// without a switch, for comparison
	plain := newMemSink()
	srv := start(cfg, t.TempDir(), plain)
	for i, f := range frames {
		srv.handle(f, netip.AddrPort{})
		if i%40 == 39 {
			srv.tick(clock, true)
		}
	}
	srv.stopDurable(true)
	// the reference: a switch, no crash
	ref := newMemSink()
	srv = start(cfg, t.TempDir(), ref)
	run(srv, 0, len(frames))
	srv.stopDurable(true)
	want := ref.rows()
	n, all := len(want["oneway_delays"]), len(plain.rows()["oneway_delays"])
	t.Logf("oneway_delays: %d rows with the switch at frame %d of %d, %d without", n, half, len(frames), all)
	if n == 0 || n >= all {
		t.Errorf("%d oneway_delays rows with the switch, %d without: want some, fewer", n, all)
	}
	for _, kind := range []string{"config_switch_stop", "config_switch_start"} {
		n := 0
		for _, e := range ref.events() {
			if e.Kind == kind && e.Source == "collector" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d %s events, want 1", n, kind)
		}
	}
	// in the order of the events table (queries/events.sql: by time,
	// source, kind), the stop before the start (both at one time, start
	// sorted first by its kind)
	var order []string
	evs := ref.events()
	slices.SortStableFunc(evs, func(a, b observe.Event) int {
		if a.Time != b.Time {
			return cmp.Compare(a.Time, b.Time)
		}
		return strings.Compare(a.Kind, b.Kind)
	})
	for _, e := range evs {
		if strings.HasPrefix(e.Kind, "config_switch_") && e.Source == "collector" {
			order = append(order, e.Kind)
		}
	}
	if !slices.Equal(order, []string{"config_switch_stop", "config_switch_start"}) {
		t.Errorf("the switch's events in time order: %v, want config_switch_stop, config_switch_start", order)
	}
	// killed 50 frames after the switch (journal synced), restarted with
	// the new version
	dir, sink := t.TempDir(), newMemSink()
	srv = start(cfg, dir, sink)
	run(srv, 0, half+50)
	if _, err := srv.dur.log.Sync(); err != nil {
		t.Fatal(err)
	}
	srv = start(cfg2, dir, sink)
	run(srv, half+50, len(frames))
	srv.stopDurable(true)
	got, kinds := withoutEvents(sink.rows(), "collector_recovered")
	if kinds["collector_recovered"] != 1 {
		t.Errorf("%d collector_recovered events after one kill, want 1", kinds["collector_recovered"])
	}
	diffRows(t, got, want)
}

// events returns the events the sink holds.
func (m *memSink) events() []observe.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	var evs []observe.Event
	for _, b := range m.parts["events"] {
		evs = append(evs, b.Events...)
	}
	return slices.Clip(evs)
}

// TestOnewaySecondRun: the one-way observations of a probe's second run
// (a restart, or a switch-over: a new epoch, its flow ids offset by the
// collector) reach the reconciler as those of a first run do. Probes A and
// B first run over the lab's TCP mix (no one-way packets) to their end,
// then again over the one-way UDP captures, their PDUs interleaved: the
// collector writes the same
// oneway_delays and oneway_loss rows as one that saw only the second runs.
// (Before the fixes, every observation after a record's first was offset
// again, held for a definition that never came, and lost; and the hops of
// the finished first runs stayed at the end of time, every packet of the
// second runs late.)
func TestOnewaySecondRun(t *testing.T) {
	cfg, _ := labPDUs(t)
	run := func(epochs ...int64) map[string][]string {
		c := labCollector(t, cfg)
		all := &observe.Batch{}
		for _, epoch := range epochs {
			var per [][][]byte
			for _, name := range []string{"A", "B"} {
				path := "lab/tcp-mix/A.pcap"
				if epoch != 7 {
					path = "lab/oneway-udp/" + name + ".pcap"
				}
				per = append(per, probeFrames(t, cfg, name, path, epoch))
			}
			for i := 0; i < max(len(per[0]), len(per[1])); i++ { // round robin
				for _, fs := range per {
					if i < len(fs) {
						c.Handle(fs[i])
					}
				}
			}
			all.Append(c.Drain())
		}
		all.Append(c.Finish())
		return rowSet(all)
	}
	second, only := run(7, 8), run(8)
	if len(only["oneway_delays"]) == 0 {
		t.Fatal("no oneway_delays rows from the one-way captures")
	}
	for _, tab := range []string{"oneway_delays", "oneway_loss"} {
		if !slices.Equal(second[tab], only[tab]) {
			t.Errorf("%s: %d rows after a first run, %d without", tab, len(second[tab]), len(only[tab]))
		}
	}
}

// TestSwitchOverShortRuns: probes A and B end their first runs (the lab's
// TCP mix: no one-way packet) at a switch-over, their final reports
// reaching the collector after it switched, and run again under the new
// version over the one-way UDP captures, A's whole second run reaching the
// collector before B's first PDU of it (runs shorter than a report
// interval: all their PDUs come at their ends). The new version's
// reconciler waits for B's second run: oneway_delays, oneway_loss and
// oneway_latency are those of a collector that saw only the second runs,
// in the same order. Before the fix, the first runs' ends, handled after
// the switch, told the new reconciler that B's hop was done: every packet
// of A's second run was dropped at B (nobody watching), every one of B's
// missed (seen with two `tmonbench probe` processes on lo:
// TestCollectorSwitchOver with 0.5 s of traffic after valid_from gave 20
// records, none delivered).
func TestSwitchOverShortRuns(t *testing.T) {
	cfg, _ := labPDUs(t)
	v2 := labV2(t)
	run := func(switched bool) map[string][]string {
		c := labCollector(t, cfg)
		all := &observe.Batch{}
		if switched {
			first := [][][]byte{probeFrames(t, cfg, "A", "lab/tcp-mix/A.pcap", 7), probeFrames(t, cfg, "B", "lab/tcp-mix/A.pcap", 7)}
			for _, fs := range first {
				for _, f := range fs[:len(fs)-1] {
					c.Handle(f)
				}
			}
			if err := c.Switch(v2); err != nil {
				t.Fatal(err)
			}
			for _, fs := range first {
				c.Handle(fs[len(fs)-1])
			}
			if c.FinishedRuns() != 2 {
				t.Fatalf("%d first runs finished after the switch, want 2", c.FinishedRuns())
			}
			all.Append(c.Drain())
		}
		for _, name := range []string{"A", "B"} {
			for _, f := range probeFrames(t, v2, name, "lab/oneway-udp/"+name+".pcap", 8) {
				c.Handle(f)
			}
		}
		all.Append(c.Finish())
		return rowSet(all)
	}
	got, want := run(true), run(false)
	if len(want["oneway_delays"]) == 0 {
		t.Fatal("no oneway_delays rows from the one-way captures")
	}
	for _, tab := range []string{"oneway_delays", "oneway_loss", "oneway_latency"} {
		if !slices.Equal(got[tab], want[tab]) {
			t.Errorf("%s: %d rows after the switch-over, %d from the second runs alone", tab, len(got[tab]), len(want[tab]))
			for i := range min(3, len(got[tab])) {
				t.Logf("got  %s", got[tab][i])
			}
		}
	}
}

// TestSwitchOverUnheardRuns: as TestSwitchOverShortRuns, but no PDU of the
// first runs reaches the collector before it switches to a version with a
// valid_from (all of them come after): the runs begun before valid_from
// are of the version that stopped, heard from or not (the review's case:
// only the runs heard from were held back, and the bug came back whole).
func TestSwitchOverUnheardRuns(t *testing.T) {
	cfg, _ := labPDUs(t)
	// valid_from after every capture time of the lab (build times of the
	// first runs' PDUs: within the timeout of the switch), the second
	// runs' epoch at it, the first runs' before
	const vf = 1_800_000_000 * int64(time.Second)
	cfg2, err := config.Parse([]byte(labConfig+"valid_from: \""+time.Unix(0, vf).UTC().Format(time.RFC3339Nano)+"\"\n"), "lab-v2.yaml")
	if err != nil {
		t.Fatal(err)
	}
	run := func(switched bool) map[string][]string {
		c := labCollector(t, cfg)
		all := &observe.Batch{}
		if switched {
			if err := c.Switch(cfg2); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"A", "B"} {
				for _, f := range probeFrames(t, cfg, name, "lab/tcp-mix/A.pcap", 7) {
					c.Handle(f)
				}
			}
			all.Append(c.Drain())
		}
		for _, name := range []string{"A", "B"} {
			for _, f := range probeFrames(t, cfg, name, "lab/oneway-udp/"+name+".pcap", vf) {
				c.Handle(f)
			}
		}
		all.Append(c.Finish())
		return rowSet(all)
	}
	got, want := run(true), run(false)
	for _, tab := range []string{"oneway_delays", "oneway_loss", "oneway_latency"} {
		if !slices.Equal(got[tab], want[tab]) || len(want[tab]) == 0 {
			t.Errorf("%s: %d rows after the switch-over, %d from the second runs alone", tab, len(got[tab]), len(want[tab]))
		}
	}
}

// TestSwitchOverNotRestarted: probes A and B do not restart with the new
// version (they refused it, or never got the file): their runs begun
// before the switch-over go on over the one-way captures. Once their PDUs
// are built more than the one-way timeout (5 s) after the switch, the new
// reconcilers follow those runs, with a oneway_probe_not_switched warning
// each, and classify as they go: every packet sent more than 6 s before
// the captures' end (the timeout and an interval) is written before the
// end of the collector: 2,000 records (before the fix, the new
// reconcilers held them open to the end: 1,591 were written before
// Finish, those the switch flushed).
func TestSwitchOverNotRestarted(t *testing.T) {
	cfg, _ := labPDUs(t)
	c := labCollector(t, cfg)
	frames := [][][]byte{probeFrames(t, cfg, "A", "lab/oneway-udp/A.pcap", 7), probeFrames(t, cfg, "B", "lab/oneway-udp/B.pcap", 7)}
	sw := len(frames[0]) / 3
	var early observe.Batch
	for i := 0; i < max(len(frames[0]), len(frames[1])); i++ {
		if i == sw {
			if err := c.Switch(labV2(t)); err != nil {
				t.Fatal(err)
			}
		}
		for _, fs := range frames {
			if i < len(fs) {
				c.Handle(fs[i])
			}
		}
		if i%20 == 19 {
			early.Append(c.Drain())
		}
	}
	end := early.OnewayDelays
	all := c.Finish()
	var total, before, warned int
	var endNs int64
	for _, b := range []*observe.Batch{&early, all} {
		for _, r := range b.OnewayDelays {
			if r.SendTime != nil {
				endNs = max(endNs, *r.SendTime)
			}
		}
		for _, e := range b.Events {
			if e.Kind == "oneway_probe_not_switched" {
				warned++
			}
		}
	}
	for _, b := range []*observe.Batch{&early, all} {
		for _, r := range b.OnewayDelays {
			if r.SendTime == nil {
				continue
			}
			if *r.SendTime < endNs-6*int64(time.Second) {
				total++
			}
		}
	}
	for _, r := range end {
		if r.SendTime != nil && *r.SendTime < endNs-6*int64(time.Second) {
			before++
		}
	}
	t.Logf("%d of the %d records sent more than 6 s before the end written before Finish; %d warnings", before, total, warned)
	if warned != 2 || total == 0 || before != total {
		t.Errorf("%d oneway_probe_not_switched events (want 2); of the %d records sent more than 6 s before the end, %d written before Finish", warned, total, before)
	}
}

// labV2 is labConfig's next version: the tcp class without sizes, the
// one-way class unchanged (another config hash, the same reconcilers).
func labV2(t *testing.T) *config.Config {
	t.Helper()
	v2, err := config.Parse([]byte(strings.Replace(labConfig, "[counters, sizes, tcp, rtt]", "[counters, tcp, rtt]", 1)), "lab-v2.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg, _ := labPDUs(t); v2.Hash() == cfg.Hash() {
		t.Fatal("labV2 has labConfig's hash")
	}
	return v2
}

// TestSwitchOverProbeFirst: a version without valid_from, which the probes
// (their watchers faster than the collector's poll, switchPoll) take
// before the collector: A's and B's first runs (the TCP mix: no one-way
// packet) end, and their second runs, under the new version, reach the
// collector before it switches, up to their first one-way observations
// (Hello, RunConfig, definitions). Each second run's RunConfig names the
// new version's hash: the new reconcilers follow them from their start.
// oneway_delays, oneway_loss and oneway_latency are those of a collector
// that saw only the second runs, as many written before the end, and no
// oneway_probe_not_switched warning. Before (the runs heard from before
// an untimed switch were held as of the old version): the new reconcilers
// waited for those runs' hops until their PDUs were built more than the
// one-way timeout after the switch, then followed them with that warning,
// wrong for runs that had switched. With late, the RunConfig PDUs come
// just after the switch (the runs' Hellos before it): the same rows.
func TestSwitchOverProbeFirst(t *testing.T) {
	for _, late := range []bool{false, true} {
		t.Run(fmt.Sprint("late=", late), func(t *testing.T) { testSwitchOverProbeFirst(t, late) })
	}
}

func testSwitchOverProbeFirst(t *testing.T, late bool) {
	cfg, _ := labPDUs(t)
	v2 := labV2(t)
	second := [][][]byte{probeFrames(t, v2, "A", "lab/oneway-udp/A.pcap", 8), probeFrames(t, v2, "B", "lab/oneway-udp/B.pcap", 8)}
	run := func(switched bool) (map[string][]string, []observe.Event, int) {
		c := labCollector(t, cfg)
		all := &observe.Batch{}
		if switched {
			for _, name := range []string{"A", "B"} {
				for _, f := range probeFrames(t, cfg, name, "lab/tcp-mix/A.pcap", 7) {
					c.Handle(f)
				}
			}
		}
		next := make([]int, len(second))
		var held [][]byte
		for i, fs := range second { // up to the first observations
			for ; next[i] < len(fs); next[i]++ {
				h, _, err := pdu.ParseFrame(fs[next[i]])
				if err != nil {
					t.Fatal(err)
				}
				if h.Type == pdu.TypePacketObs {
					break
				}
				if late && h.Type == pdu.TypeRunConfig {
					held = append(held, fs[next[i]])
					continue
				}
				c.Handle(fs[next[i]])
			}
			if next[i] == len(fs) || next[i] < 2 {
				t.Fatalf("probe %d: first observations at frame %d of %d", i, next[i], len(fs))
			}
		}
		if switched {
			if err := c.Switch(v2); err != nil {
				t.Fatal(err)
			}
		}
		if late && len(held) != 2 {
			t.Fatalf("%d RunConfig PDUs before the observations, want 2", len(held))
		}
		for _, f := range held {
			c.Handle(f)
		}
		for k := 0; next[0] < len(second[0]) || next[1] < len(second[1]); k++ {
			for i, fs := range second {
				if next[i] < len(fs) {
					c.Handle(fs[next[i]])
					next[i]++
				}
			}
			if k%20 == 19 {
				all.Append(c.Drain())
			}
		}
		early := len(all.OnewayDelays)
		all.Append(c.Finish())
		return rowSet(all), all.Events, early
	}
	got, events, early := run(true)
	want, _, wantEarly := run(false)
	for _, tab := range []string{"oneway_delays", "oneway_loss", "oneway_latency"} {
		if !slices.Equal(got[tab], want[tab]) || len(want[tab]) == 0 {
			t.Errorf("%s: %d rows after the switch-over, %d from the second runs alone", tab, len(got[tab]), len(want[tab]))
		}
	}
	for _, e := range events {
		if e.Kind == "oneway_probe_not_switched" {
			t.Errorf("event %s: %s", e.Kind, e.Message)
		}
	}
	if early != wantEarly {
		t.Errorf("%d oneway_delays rows written before Finish, %d without the switch-over", early, wantEarly)
	}
}

// TestRunConfigLateCopy (the review of 2cb27cc): a RunConfig of an older
// run that arrives after the newer run's (RunConfig PDUs are kept until
// acknowledged, and may be spooled) leaves the newer run's version in
// place: before, it replaced it, and after a switch back to the older
// hash (A, B, A) the newer run was followed as one of A.
func TestRunConfigLateCopy(t *testing.T) {
	c := labCollector(t, labV2(t))
	c.runConfig(pdu.Header{ProbeID: 1, Epoch: 8}, "hash-b")
	c.runConfig(pdu.Header{ProbeID: 1, Epoch: 7}, "hash-a")
	if p := c.probes[1]; p.runConfig != "hash-b" || p.runConfigEpoch != 8 {
		t.Errorf("run config %q of epoch %d, want hash-b of 8", p.runConfig, p.runConfigEpoch)
	}
	c.ow.switchHash, c.ow.before[1] = "hash-a", 8
	if !c.preSwitch(1, 8) {
		t.Error("run 8 (of hash-b) followed after a switch to hash-a")
	}
	c.runConfig(pdu.Header{ProbeID: 1, Epoch: 9}, "hash-a")
	if c.preSwitch(1, 9) || !c.preSwitch(1, 8) {
		t.Error("run 9 says hash-a: followed; run 8 held")
	}
}

// TestSwitchRecordKeys: a Switch record of the journal (a file of the
// output) held the new version's keys in clear; it holds them redacted
// (config.RedactedYAML) and the real configuration's hash, which the
// replay takes as the switch's (the runs of the new version are told by
// it), not the hash of the redacted YAML.
func TestSwitchRecordKeys(t *testing.T) {
	cfg, err := config.Parse([]byte("probes:\n  - {name: A, key: \"secret-a\"}\n"), "k.yaml")
	if err != nil {
		t.Fatal(err)
	}
	body := switchRecord(cfg)
	if bytes.Contains(body, []byte("secret-a")) {
		t.Errorf("switch record holds the key:\n%s", body)
	}
	c := labCollector(t, labV2(t))
	if err := c.replaySwitch(body); err != nil {
		t.Fatal(err)
	}
	if c.ow.switchHash != cfg.Hash() {
		t.Errorf("replayed switch hash %s, want the real configuration's %s", c.ow.switchHash, cfg.Hash())
	}
}
