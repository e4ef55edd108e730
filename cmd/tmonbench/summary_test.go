package main

import (
	"encoding/binary"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/internal/capgen"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestReplaySummaryFlowsAgree: the flow count of the replay's summary and
// the one of `tmonbench query summary` differ only as the summary line
// says: the replay counts the granular flows of every class (the rows of
// the flows table), query summary those of class 'all'. On
// samples/zeek_wikipedia.pcap: 57 flows in class 'all' (tshark's one-way
// 5-tuples, TestReplayThenQuery), 59 in all classes with the default
// configuration (dns takes 2).
func TestReplaySummaryFlowsAgree(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "tmon-out")
	code, stdout, stderr := tmon(t, "replay", "--out", out, filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap"))
	if code != 0 {
		t.Fatalf("replay: exit %d\n%s", code, stderr)
	}
	m := regexp.MustCompile(`(?m)^  flows +(\d+)  \(granular flows of every class; query summary counts class 'all' only\)$`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no flows line saying what it counts in the summary:\n%s", stdout)
	}
	replayFlows, _ := strconv.Atoi(m[1])
	q := func(args ...string) string {
		code, stdout, stderr := tmon(t, append([]string{"query", "--out", out, "--format", "csv"}, args...)...)
		if code != 0 {
			t.Fatalf("query %v: %s", args, stderr)
		}
		return stdout
	}
	if got := q("--sql", "select count(*) n from flows"); got != "n\n"+m[1]+"\n" {
		t.Errorf("rows of flows %q, the replay summary says %d", got, replayFlows)
	}
	var total string
	for _, l := range strings.Split(q("summary"), "\n") {
		if strings.HasPrefix(l, "zeek_wikipedia,total,") {
			total = strings.Split(l, ",")[2]
		}
	}
	if all := q("--sql", "select count(*) n from flows where class = 'all'"); total != "57" || all != "n\n57\n" {
		t.Errorf("query summary total %q flows, class 'all' %q: want 57 both", total, all)
	}
	if replayFlows != 59 {
		t.Errorf("replay summary: %d flows, want 59 (57 in 'all', 2 in 'dns')", replayFlows)
	}
	if got := q("--sql", "select class, count(*) n from flows group by 1 order by 1"); got != "class,n\nall,57\ndns,2\n" {
		t.Errorf("flows per class: %q", got)
	}
}

// TestCollectorBadListenCreatesNothing: a collector whose --listen cannot
// be bound (a port out of range, an address this host does not have, a
// port another program holds) says the reason once and creates no output
// folder. A port out of range is a bad flag value, a usage error: exit
// status 2, as the README's rule says (it exited 1); the others are this
// host's state: exit 1.
func TestCollectorBadListenCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join("..", "..", "samples", "dist.yaml")
	taken, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for i, addr := range []string{"127.0.0.1:99999", "192.0.2.1:4739", taken.LocalAddr().String()} { // 192.0.2.1: TEST-NET-1 (RFC 5737)
		out := filepath.Join(dir, "out"+strconv.Itoa(i))
		code, _, stderr := tmon(t, "collector", "--config", cfg, "--listen", addr, "--out", out)
		want := 1
		if i == 0 {
			want = 2
		}
		if code != want || !strings.Contains(stderr, "collector: listen "+addr) || strings.Count(stderr, addr) != 1 {
			t.Errorf("--listen %s: exit %d, stderr %q", addr, code, stderr)
		}
		if i == 0 && stderr != "tmonbench collector: listen 127.0.0.1:99999: address 99999: invalid port\n" {
			// a bad flag value is said alone, before the config is read (the
			// fifth new-user trial: dist.yaml's warning on its classes came first)
			t.Errorf("--listen %s: stderr %q, want the usage error alone", addr, stderr)
		}
		if i == 2 && !strings.Contains(stderr, "collector: listen "+addr+": bind: address already in use (another collector, or another program, listens there") {
			t.Errorf("--listen %s (taken): stderr %q", addr, stderr)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("--listen %s created %s (%v)", addr, out, err)
		}
	}
}

// TestSummaryOfNothing: `query summary` over a capture without a packet
// prints no row (it printed a total row of zeros and NULLs: no probe,
// first time or duration, which a trial read as a broken probe) and says
// why on stderr, as `query oneway` explains its empty table: the run read
// no packet; over the lab's dns-snmp-ntp A capture replayed with --filter
// icmp (it holds none: tcpdump -r A.pcap icmp prints nothing), the
// replay_filter event's "--filter icmp: 604 packets left out" (tcpdump -r
// A.pcap | wc -l: 604). The replay says on stderr that the file held no
// packet (it used to succeed in silence, with an empty events table), and
// so does a capture_empty event, which the note names (it pointed at
// `query events`, an empty table); a capture with packets beside it gets
// no such warning.
func TestSummaryOfNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pcap := filepath.Join(dir, "empty.pcap")
	if err := os.WriteFile(pcap, capgen.PCAP(nil, true), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	code, _, stderr := tmon(t, "replay", "-q", "--out", out, pcap)
	if code != 0 {
		t.Fatalf("replay: exit %d\n%s", code, stderr)
	}
	if want := "tmonbench replay: warning: " + pcap + " holds no packet (a capture header only): nothing of it is in the tables\n"; stderr != want {
		t.Errorf("replay of a header-only capture: stderr %q, want %q", stderr, want)
	}
	good := filepath.Join("..", "..", "samples", "zeek_ntp.pcap")
	if code, _, stderr := tmon(t, "replay", "-q", "--out", filepath.Join(dir, "out2"), good, pcap); code != 0 || strings.Count(stderr, "holds no packet") != 1 || strings.Contains(stderr, good) {
		t.Errorf("replay of a capture and a header-only one: exit %d, stderr %q, want one warning, on %s", code, stderr, pcap)
	}
	code, stdout, stderr := tmon(t, "query", "--out", out, "--format", "csv", "summary")
	if code != 0 {
		t.Fatalf("query: exit %d\n%s", code, stderr)
	}
	if want := "probe,protocol,flows,packets,bytes,first_seen,duration_s,ip_reasm\n"; stdout != want {
		t.Errorf("summary of no packets:\n%s\nwant:\n%s", stdout, want)
	}
	if want := "tmonbench query: flows is empty: the run read no packet: " + pcap + " holds no packet (a capture header only): nothing of it is in the tables (event capture_empty)\n"; stderr != want {
		t.Errorf("summary of no packets: stderr %q, want %q", stderr, want)
	}
	// the note points at the events table: it holds the replay's warning
	if got, want := csvQuery(t, out, "select source, kind, severity, count, message from events"),
		"source,kind,severity,count,message\nreplay,capture_empty,warning,1,"+pcap+" holds no packet (a capture header only): nothing of it is in the tables\n"; got != want {
		t.Errorf("events of a header-only capture:\n%s\nwant:\n%s", got, want)
	}
	filtered := filepath.Join(dir, "filtered")
	lab := filepath.Join(testsamples.Dir(t), "lab", "dns-snmp-ntp", "A.pcap")
	if code, _, stderr := tmon(t, "replay", "-q", "--filter", "icmp", "--out", filtered, lab); code != 0 {
		t.Fatalf("replay --filter icmp: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr = tmon(t, "query", "--out", filtered, "summary")
	if want := "tmonbench query: flows is empty: no packet passed the replay's filter (--filter icmp: 604 packets left out: event replay_filter)\n"; code != 0 ||
		stderr != want || !strings.HasSuffix(stdout, "(0 rows)\n") || strings.Contains(stdout, "NULL") {
		t.Errorf("summary after --filter icmp: exit %d, stdout\n%s\nstderr %q, want no row and %q", code, stdout, stderr, want)
	}
}

// TestSenderSummaryDestroyed: a probe process whose regulation destroyed
// PDUs (pdu_overflow: a 1 M SYN flood at --speed full destroyed 39,324
// PDUs, 1,542,434 records, with the collector up) says so on its summary
// line next to "0 unacknowledged", apart from the spool's destroyed
// definitions (issue 13.5: every destroyed count reaches the summary).
func TestSenderSummaryDestroyed(t *testing.T) {
	var ss pdu.SenderStats
	ss.PDUs[pdu.TypeCounters], ss.PDUs[pdu.TypeFlowDef] = 40000, 30000
	ss.Destroyed[pdu.TypeCounters], ss.DestroyedRecords[pdu.TypeCounters] = 30000, 770000
	ss.Destroyed[pdu.TypeFlowDef], ss.DestroyedRecords[pdu.TypeFlowDef] = 5, 170
	ss.PermanentDestroyed, ss.PermanentDestroyedRecords = 5, 170
	got := senderSummary("central", ss, 0)
	for _, want := range []string{"collector central: 70000 PDUs, 0 retransmissions, 0 unacknowledged",
		"30000 PDUs destroyed by the regulation (770000 records: pdu_overflow, pdu_destroyed)",
		"5 permanent PDUs destroyed (170 records: pdu_permanent_overflow)"} {
		if !strings.Contains(got, want) {
			t.Errorf("summary %q lacks %q", got, want)
		}
	}
	if got := senderSummary("central", pdu.SenderStats{}, 0); strings.Contains(got, "destroyed") {
		t.Errorf("nothing destroyed, yet: %q", got)
	}
}

// TestDamagedFirstRecordNotHeaderOnly: a capture malformed at its first
// record gets the damage warning only; it also got "holds no packet (a
// capture header only)", which it is not.
func TestDamagedFirstRecordNotHeaderOnly(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "samples", "zeek_ntp.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	binary.LittleEndian.PutUint32(b[24+8:], 0x7fffffff) // the first record's captured length
	pcap := filepath.Join(t.TempDir(), "bad-first.pcap")
	if err := os.WriteFile(pcap, b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := tmon(t, "replay", "-q", "--out", filepath.Join(t.TempDir(), "out"), pcap)
	if code != 0 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "frame 1 at byte 24: record header: captured length 2147483647") {
		t.Errorf("replay of a capture malformed at its first record: exit %d, stderr:\n%s\nwant exit 0 and the damage warning alone", code, stderr)
	}
}

// TestReplaySummaryWarnings: the replay summary names the warning events
// the run wrote, each with its events.count summed, as `query` finds them
// in the events table: with max_flows 10, samples/zeek_wikipedia.pcap's
// flows_evicted (the flow table full was only in the events table
// before). The default run, with no warning, has no such line (README).
func TestReplaySummaryWarnings(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "small.yaml")
	if err := os.WriteFile(cfg, []byte("flow_table:\n  max_flows: 10\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pcap := filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")
	out := filepath.Join(dir, "out")
	code, stdout, stderr := tmon(t, "replay", "--config", cfg, "--out", out, pcap)
	if code != 0 {
		t.Fatalf("replay: exit %d\n%s", code, stderr)
	}
	m := regexp.MustCompile(`(?m)^  warnings +flows_evicted \d+ \((\d+) flows\)  \(events, and what they count: tmonbench query events\)$`).FindStringSubmatch(stdout)
	code, q, stderr := tmon(t, "query", "--out", out, "--format", "csv", "--sql",
		"select string_agg(kind || ' ' || c, ', ') from (select kind, sum(count) c from events where severity = 'warning' group by kind)")
	if code != 0 || m == nil || !strings.Contains(q, "flows_evicted "+m[1]+"\n") || m[1] == "0" {
		t.Errorf("summary:\n%s\nquery (exit %d): %s%s\nwant the summary's warnings line to give the events table's flows_evicted count", stdout, code, q, stderr)
	}
	code, stdout, _ = tmon(t, "replay", "--out", filepath.Join(dir, "default"), pcap)
	if code != 0 || strings.Contains(stdout, "warnings") {
		t.Errorf("default run (exit %d) has a warnings line:\n%s", code, stdout)
	}
}

// TestNotableUnits: the collector's summary said "warnings probe_restart
// 3, probe_run_incomplete 2" where the events table had one
// probe_run_incomplete row counting 2 flows (a trial): each kind gives its
// events, then what their counts count.
func TestNotableUnits(t *testing.T) {
	var b strings.Builder
	printNotable(&b, store.Notable{
		store.EventKey{Severity: "warning", Kind: "probe_run_incomplete"}: store.EventTotal{Events: 1, Count: 2},
		store.EventKey{Severity: "warning", Kind: "probe_restart"}:        {Events: 3, Count: 3},
		store.EventKey{Severity: "warning", Kind: "probe_silent"}:         {Events: 2},
		store.EventKey{Severity: "error", Kind: "pdu_future_kind"}:        {Events: 1, Count: 7},
	})
	const want = "  errors          pdu_future_kind 1 (7 counted)  (events, and what they count: tmonbench query events)\n" +
		"  warnings        probe_restart 3 (3 new runs), probe_run_incomplete 1 (2 flows still open), probe_silent 2  (events, and what they count: tmonbench query events)\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// TestReplaySummaryAnomalies: samples/zeek_tcp_reassembly.pcap holds five
// frames whose IPv4 total length exceeds the frame (tshark -r
// samples/zeek_tcp_reassembly.pcap -q -z expert: "Errors (5) ... IPv4
// total length exceeds packet length", 3 of 1492 bytes and 2 of 1480):
// the replay's summary counts them on a line of its own, and their
// packet_anomalies event is an error, as tshark rates them, so the
// summary's errors line names it (it was info, said nowhere).
func TestReplaySummaryAnomalies(t *testing.T) {
	out := filepath.Join(t.TempDir(), "tmon-out")
	code, stdout, stderr := tmon(t, "replay", "--out", out, filepath.Join("..", "..", "samples", "zeek_tcp_reassembly.pcap"))
	if code != 0 {
		t.Fatalf("replay: exit %d\n%s", code, stderr)
	}
	if !regexp.MustCompile(`(?m)^  anomalies +5  \(`).MatchString(stdout) || !regexp.MustCompile(`(?m)^  errors +.*packet_anomalies 1 \(5 packets\)`).MatchString(stdout) {
		t.Errorf("summary without an anomalies line of 5 and an errors line naming packet_anomalies 1 (5 packets):\n%s", stdout)
	}
	_, got, _ := tmon(t, "query", "--out", out, "--format", "csv", "--sql", "select severity, count from events where kind = 'packet_anomalies'")
	if got != "severity,count\nerror,5\n" {
		t.Errorf("packet_anomalies events %q, want one error counting 5", got)
	}
}

// TestSummaryRetransmissionsAllOfRun: replay --link-loss 0.99 (seed 1) of
// zeek_wikipedia.pcap retransmits 3780 times in all (acknowledgements lost
// while the replay settles), pdu_stats counts the 9 before the final report
// took the counts: the summary line says its figures are the whole run's
// and pdu_stats stops at the final report, so the two are not read as a
// contradiction (a trial's question).
func TestSummaryRetransmissionsAllOfRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := tmon(t, "replay", "--out", out, "--link-loss", "0.99", filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap"))
	if code != 0 {
		t.Fatalf("replay: exit %d\n%s", code, stderr)
	}
	if want := "; 3780 retransmissions; all of the run: pdu_stats counts up to each final report)"; !strings.Contains(stdout, want) {
		t.Errorf("summary:\n%s\nwant a PDUs line ending %q", stdout, want)
	}
	if got, want := csvQuery(t, out, "select retransmissions from pdu_stats where pdu_type = 'all'"), "retransmissions\n9\n"; got != want {
		t.Errorf("pdu_stats: %q, want %q", got, want)
	}
}

// TestNotableUnwritten: a collector whose disk filled logged "the
// collector_write_failed event could not be written either", and its
// summary said "errors collector_write_failed 1 (events, and what they
// count: tmonbench query events)", an event no table holds. The summary
// now says it was not written, and why (store.EventTotal.Unwritten,
// NoSpace; engine/store TestNotableUnwritten injects the failed write).
func TestNotableUnwritten(t *testing.T) {
	var b strings.Builder
	printNotable(&b, store.Notable{
		store.EventKey{Severity: "error", Kind: "collector_write_failed"}: {Events: 1, Unwritten: 1, NoSpace: true},
		store.EventKey{Severity: "warning", Kind: "probe_restart"}:        {Events: 2, Count: 2, Unwritten: 1},
	})
	const want = "  errors          collector_write_failed 1 (1 not written: the disk was full; see above)  (events, and what they count: tmonbench query events)\n" +
		"  warnings        probe_restart 2 (1 not written: the output could not be written; see above) (2 new runs)  (events, and what they count: tmonbench query events)\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// TestOneIsSingular (the fifth trial's D1): a count of 1 takes the
// singular in the summaries' warnings line and in live's and a probe
// process's last lines. replay of testdata/pcap/truncated-snaplen/
// zeek_trunc_trunc-hdr.pcap (one frame cut to 8 bytes, tshark: "Packet
// size limited during capture") said "malformed_packets 1 (1 packets)";
// live on lo with 5 pings of 127.0.0.1 said "10 packets, 980 bytes, 1
// flows" (request and reply have the same address pair on lo).
func TestOneIsSingular(t *testing.T) {
	var b strings.Builder
	printNotable(&b, store.Notable{
		store.EventKey{Severity: "warning", Kind: "malformed_packets"}:    {Events: 1, Count: 1},
		store.EventKey{Severity: "warning", Kind: "probe_run_incomplete"}: {Events: 1, Count: 1},
		store.EventKey{Severity: "warning", Kind: "oneway_evicted"}:       {Events: 2, Count: 2},
	})
	const want = "  warnings        malformed_packets 1 (1 packet), oneway_evicted 2 (2 packet records), probe_run_incomplete 1 (1 flow still open)  (events, and what they count: tmonbench query events)\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	// live's bytes are captured bytes, link header included (a trial
	// compared "46 packets, 6617 bytes" with query summary's 5973 IP
	// bytes: 46 × 14, lo's Ethernet header): the line says "captured", as
	// replay's summary does.
	if got, want := captureLine("vm", 10, 980, 1, 0, 5900*time.Millisecond, "/tmp/o"), "tmonbench live vm: 10 packets, 980 bytes captured, 1 flow of every class (query summary counts class 'all' only), 0 kernel drops in 5.9 s; tables in /tmp/o"; got != want {
		t.Errorf("live's last line %q, want %q", got, want)
	}
	if got, want := captureLine("vm", 1, 60, 2, 0, time.Second, "/tmp/o"), "tmonbench live vm: 1 packet, 60 bytes captured, 2 flows of every class (query summary counts class 'all' only), 0 kernel drops in 1.0 s; tables in /tmp/o"; got != want {
		t.Errorf("live's last line %q, want %q", got, want)
	}
	if got, want := probeHead("A", 1, 1, 1), "tmonbench probe A: 1 packet, 1 IP, 1 flow of every class"; got != want {
		t.Errorf("probe's head %q, want %q", got, want)
	}
	if got, want := probeHead("A", 5000, 5000, 2), "tmonbench probe A: 5000 packets, 5000 IP, 2 flows of every class"; got != want {
		t.Errorf("probe's head %q, want %q", got, want)
	}
	// live --stats (the sixth trial's D2: "1 packets in")
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	if got, want := statsLine(at, 1, 1, 0, 0, 2, 3, "collector+runtime"), "09:00:00 capture 1 pkt/s (1 packet in 1.00 s) | kernel drops 0 (0 in all) | cpu probe 2%, collector+runtime 3% | busiest: collector+runtime"; got != want {
		t.Errorf("--stats line %q, want %q", got, want)
	}
	if got := statsLine(at, 2, 1, 0, 0, 2, 3, "probe"); !strings.Contains(got, "(2 packets in 1.00 s)") {
		t.Errorf("--stats line %q, want 2 packets", got)
	}
}
