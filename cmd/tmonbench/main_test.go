package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testsamples"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// samples returns testdata/ at the module root (testsamples.Dir).
func samples(t *testing.T) string { return testsamples.Dir(t) }

func tmon(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

// TestBadInput: each bad input gives one clear line on stderr and a
// non-zero exit status, and no panic (issue 2, item 8); the line starts
// "tmonbench CMD: " and no Go package name follows (errFault); bench
// words a bad capture as replay does.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	notCapture := filepath.Join(dir, "notes.txt")
	os.WriteFile(notCapture, []byte("this is not a capture file at all\n"), 0o644)
	// A pcap with link type 147 (LINKTYPE_USER0): well formed, not decodable.
	var hdr bytes.Buffer
	for _, v := range []uint32{0xa1b2c3d4} {
		binary.Write(&hdr, binary.LittleEndian, v)
	}
	binary.Write(&hdr, binary.LittleEndian, []uint16{2, 4})
	binary.Write(&hdr, binary.LittleEndian, []uint32{0, 0, 65535, 147})
	user0 := filepath.Join(dir, "user0.pcap")
	os.WriteFile(user0, hdr.Bytes(), 0o644)
	os.Mkdir(filepath.Join(dir, "none"), 0o755)
	foreign := filepath.Join(dir, "mine")
	os.MkdirAll(foreign, 0o755)
	os.WriteFile(filepath.Join(foreign, "thesis.tex"), []byte("x"), 0o644)
	afile := filepath.Join(dir, "afile")
	os.WriteFile(afile, nil, 0o644)
	good := filepath.Join("..", "..", "samples", "zeek_ntp.pcap")
	plainCfg := filepath.Join(dir, "plain.yaml") // a config without warnings: the fault is stderr's one line
	os.WriteFile(plainCfg, []byte("probes: [{name: A}]\ncollectors: [{name: c, address: \"127.0.0.1:4799\"}]\n"), 0o644)
	headerOnly := filepath.Join(dir, "header.pcap")
	if b, err := os.ReadFile(good); err != nil || os.WriteFile(headerOnly, b[:24], 0o644) != nil {
		t.Fatal(err)
	}

	faults := map[string]string{} // case name -> the fault said after "tmonbench CMD: "
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing file", []string{"replay", "--out", filepath.Join(dir, "o1"), filepath.Join(dir, "nope.pcap")}, 1, "nope.pcap: no such file or directory"},
		// a glob or folder naming no capture is an input problem too (exit 1, as a missing file), bench says it as replay does
		{"glob matches nothing", []string{"replay", "--out", filepath.Join(dir, "o1"), filepath.Join(dir, "nope-*.pcap")}, 1, filepath.Join(dir, "nope-*.pcap") + " matches no file"},
		{"folder without capture", []string{"replay", "--out", filepath.Join(dir, "o1"), filepath.Join(dir, "none")}, 1, "folder " + filepath.Join(dir, "none") + " holds no capture file"},
		{"bench missing file", []string{"bench", "-q", filepath.Join(dir, "nope.pcap")}, 1, "nope.pcap: no such file or directory"},
		{"bench glob matches nothing", []string{"bench", "-q", filepath.Join(dir, "nope-*.pcap")}, 1, filepath.Join(dir, "nope-*.pcap") + " matches no file"},
		{"bench folder without capture", []string{"bench", "-q", filepath.Join(dir, "none")}, 1, "folder " + filepath.Join(dir, "none") + " holds no capture file"},
		{"bench not a capture", []string{"bench", "-q", notCapture}, 1, "not a pcap or pcapng file"},
		// header only (no -q): refused before any run, so no "floor 1/1" progress line first
		{"bench header only", []string{"bench", headerOnly}, 1, "no packets to measure in " + headerOnly + " (empty or header-only capture)"},
		{"not a capture", []string{"replay", "--out", filepath.Join(dir, "o2"), notCapture}, 1, "not a pcap or pcapng file"},
		{"probe pcap and live", []string{"probe", "--config", "../../samples/dist.yaml", "--name", "A", "--pcap", good, "-i", "lo"}, 2, "--pcap FILE or -i IFACE, not both (one probe reads a capture file or captures live)"},
		// a bare `tmonbench collector` was told "--listen ADDR is required (or
		// collectors[0].address in the config)": the config is what is missing
		{"collector without config", []string{"collector"}, 2, "collector: --config FILE is missing: the probes it accepts (probes:) and where it listens (collectors[0].address, or --listen ADDR)"},
		{"collector config without collectors", []string{"collector", "--config", "../../samples/example.yaml"}, 2, "collector: ../../samples/example.yaml names no collector: --listen ADDR is required"},
		// replay reads a folder, probe --pcap one file: it said "is a directory: not a pcap or pcapng file"
		{"probe folder", []string{"probe", "--config", plainCfg, "--name", "A", "--pcap", filepath.Join(dir, "none")}, 1, filepath.Join(dir, "none") + " is a folder: probe --pcap replays one capture file (replay reads a folder of rotated files as one probe"},
		{"unknown link type", []string{"replay", "--out", filepath.Join(dir, "o3"), user0}, 1, "link type"},
		{"out is a file", []string{"replay", "--out", afile, good}, 1, "cannot write output folder"},
		{"out is not ours", []string{"replay", "--out", foreign, good}, 1, "not a tmonbench output"},
		{"no capture", []string{"replay"}, 2, "no capture given"},
		{"bad speed", []string{"replay", "--speed", "fast", good}, 2, "want full, realtime or <factor>x"},
		{"bad probe spec", []string{"replay", "--probe", "nameonly", good}, 2, "want NAME=PCAP"},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"query without output", []string{"query", "--out", filepath.Join(dir, "none"), "summary"}, 1, "no tmonbench output"},
		{"unknown query", []string{"query", "--out", dir, "nosuch"}, 2, "unknown query"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := tmon(t, c.args...)
			if code != c.code || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, c.code, c.want)
			}
			if lines := strings.Count(strings.TrimSpace(stderr), "\n"); lines > 0 && c.code == 1 {
				t.Errorf("%d lines on stderr, want one: %q", lines+1, stderr)
			}
			if _, ok := findCommand(c.args[0]); ok {
				faults[c.name] = errFault(t, c.args[0], stderr)
			}
		})
	}
	for name, fault := range faults { // bench words a bad capture as replay does
		if replay, ok := faults[strings.TrimPrefix(name, "bench ")]; ok && name != strings.TrimPrefix(name, "bench ") && fault != replay {
			t.Errorf("%s: bench says %q, replay %q", name, fault, replay)
		}
	}
	if _, err := os.Stat(filepath.Join(foreign, "thesis.tex")); err != nil {
		t.Errorf("a foreign --out lost its files: %v", err)
	}
}

// errFault returns the fault stderr's first line (after any warnings)
// says after "tmonbench CMD: ", and fails when the line does not start so
// or the fault starts with a Go package's name ("queries: ", "replay: ").
func errFault(t *testing.T, cmd, stderr string) string {
	t.Helper()
	line, rest, _ := strings.Cut(stderr, "\n")
	for strings.HasPrefix(line, "tmonbench "+cmd+": warning: ") {
		line, rest, _ = strings.Cut(rest, "\n")
	}
	fault, ok := strings.CutPrefix(line, "tmonbench "+cmd+": ")
	if head, _, _ := strings.Cut(fault, ": "); !ok || slices.Contains(internalPrefixes, head) || head == cmd {
		t.Errorf("%q: want \"tmonbench %s: \" and the fault, no package name", line, cmd)
	}
	return fault
}

// TestReplayThenQuery: the README's main job, end to end through Parquet
// and DuckDB, and a second run replaces the first without mixing.
func TestReplayThenQuery(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "tmon-out")
	wiki := filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")
	if code, stdout, stderr := tmon(t, "replay", "--out", out, wiki); code != 0 || !strings.Contains(stdout, "decoded (IP)             126") {
		t.Fatalf("replay: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr := tmon(t, "query", "--out", out, "--format", "csv", "--sql", "select sum(packets) p, sum(bytes) b, count(*) n from flows where class = 'all'")
	// tshark: 126 IP packets, 22896 IP bytes, 57 one-way 5-tuple flows (engine/pipeline tests).
	if code != 0 || stdout != "p,b,n\n126,22896,57\n" {
		t.Fatalf("query: exit %d %q %s", code, stdout, stderr)
	}
	// Every table has its folder, hence its view, even when empty.
	_, stdout, _ = tmon(t, "query", "--out", out, "--format", "csv", "--sql", "select count(*) from duckdb_views() where not internal")
	// plus packet_index, the replay's time -> file offset index (replay.TablePacketIndex)
	if want := fmt.Sprintf("count_star()\n%d\n", len(observe.Tables)+1); stdout != want {
		t.Errorf("views: %q, want %q", stdout, want)
	}
	// Every view has the columns, in order and type, that the reference
	// (docs/tables.md, query --schema) lists: the partition key date too.
	_, stdout, _ = tmon(t, "query", "--out", out, "--format", "csv", "--limit", "0", "--sql",
		"select table_name, column_name, data_type from information_schema.columns order by table_name, ordinal_position")
	var want strings.Builder
	want.WriteString("table_name,column_name,data_type\n")
	tables := slices.Clone(observe.Tables)
	slices.SortFunc(tables, func(a, b *observe.Table) int { return strings.Compare(a.Name, b.Name) })
	for _, tb := range tables {
		for _, c := range tb.ViewColumns() {
			fmt.Fprintf(&want, "%s,%s,%s\n", tb.Name, c.Name, c.Type)
		}
	}
	var got strings.Builder
	for _, l := range strings.SplitAfter(stdout, "\n") {
		if !strings.HasPrefix(l, "packet_index,") { // replay's table, checked in replay
			got.WriteString(l)
		}
	}
	if got.String() != want.String() {
		t.Errorf("views' columns:\n%s\nthe reference's:\n%s", got.String(), want.String())
	}
	ntp := filepath.Join("..", "..", "samples", "zeek_ntp.pcap")
	if code, _, stderr := tmon(t, "replay", "-q", "--out", out, ntp); code != 0 {
		t.Fatalf("second replay: %s", stderr)
	}
	_, stdout, _ = tmon(t, "query", "--out", out, "--format", "csv", "--sql", "select distinct probe from flows")
	if stdout != "probe\nzeek_ntp\n" {
		t.Errorf("after the second run: %q, want only zeek_ntp", stdout)
	}
}

// TestTruncatedCaptureWarns: a cut capture is replayed up to the damage,
// with one warning "tmonbench replay: warning: FILE: frame N..." (not a
// second time by the probe's log), exit status 0,
// and the rows before the damage kept.
func TestTruncatedCaptureWarns(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "o")
	f := filepath.Join(samples(t), "pcap", "malformed", "chrissanders_ppa1e_http-fault-post.pcap")
	code, _, stderr := tmon(t, "replay", "-q", "--out", out, f)
	want := "tmonbench replay: warning: " + f + ": frame 26" // the command, no package name ("replay: ")
	if code != 0 || !strings.HasPrefix(stderr, want) || strings.Count(stderr, "frame 26") != 1 || strings.Contains(stderr, "level=WARN") {
		t.Fatalf("exit %d stderr %q: want the damage said once, as a tmonbench warning", code, stderr)
	}
	_, stdout, _ := tmon(t, "query", "--out", out, "--format", "csv", "--sql", "select sum(packets) from flows where class='all'")
	if stdout != "sum(packets)\n25\n" {
		t.Errorf("%q, want 25 packets", stdout)
	}
	_, stdout, _ = tmon(t, "query", "--out", out, "--format", "csv", "--sql", "select count(*) from events where kind = 'capture_damaged' and severity = 'warning'")
	if stdout != "count_star()\n1\n" {
		t.Errorf("events: %q", stdout)
	}
	// the event's message is the warning's text, beginning with the file
	// as the other events of a capture do: it began "replay: " (the
	// error's package)
	said := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(stderr), "tmonbench replay: warning: "), " (the packets before the damage are kept)")
	_, stdout, _ = tmon(t, "query", "--out", out, "--format", "csv", "--sql", "select message from events where kind = 'capture_damaged'")
	if msg := strings.TrimSpace(strings.TrimPrefix(stdout, "message\n")); msg != said || !strings.HasPrefix(msg, f+": frame 26 ") {
		t.Errorf("capture_damaged message %q, want %q (the warning's)", msg, said)
	}
}

// TestEveryPublicSample: replay exits 0 on every capture of
// ../shared/samples/pcap, or 1 with one clear line for the unreadable ones.
func TestEveryPublicSample(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob(filepath.Join(samples(t), "pcap", "*", "*"))
	if len(files) < 80 {
		t.Fatalf("%d sample files", len(files))
	}
	unreadable := map[string]bool{
		"libpcap_pcap-invalid-version-1.pcap": true, "libpcap_pcap-truncated-hdr-23.pcap": true,
		"libpcap_shb-option-too-long.pcapng": true,
	}
	for _, f := range files {
		code, _, stderr := tmon(t, "replay", "-q", "--out", filepath.Join(t.TempDir(), "o"), f)
		want := 0
		if unreadable[filepath.Base(f)] {
			want = 1
		}
		if code != want {
			t.Errorf("%s: exit %d, want %d: %s", filepath.Base(f), code, want, stderr)
		}
	}
}

// TestConfigFaults: faults configured on a collector's link (as the
// --link-* flags) cost retransmissions but no rows.
func TestConfigFaults(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("collectors:\n  - name: lossy\n    faults: {loss: 0.3, dup: 0.1, outages: [\"2s@1s\"], seed: 3}\n"), 0o644)
	wiki := filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")
	if code, _, stderr := tmon(t, "replay", "-q", "--config", cfg, "--out", filepath.Join(dir, "o"), wiki); code != 0 {
		t.Fatal(stderr)
	}
	_, stdout, _ := tmon(t, "query", "--out", filepath.Join(dir, "o"), "--format", "csv", "--sql",
		"select (select sum(packets) from flows where class = 'all') p, (select retransmissions > 0 from pdu_stats where pdu_type = 'all') r")
	if stdout != "p,r\n126,true\n" {
		t.Errorf("%q: want all 126 packets and some retransmissions", stdout)
	}
	os.WriteFile(cfg, []byte("collectors:\n  - name: lossy\n    faults: {loss: 2}\n"), 0o644)
	if code, _, stderr := tmon(t, "replay", "-q", "--config", cfg, "--out", filepath.Join(dir, "o2"), wiki); code != 1 || !strings.Contains(stderr, "faults.loss: must be a share between 0 and 1") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

// TestInputCountersReported: what the capture reader counts and skips
// reaches the events table (issue 15: anomalies counted but never
// reported). Edge case 20: 2 packets of an 802.11 interface of a pcapng
// file are skipped, one capture_unsupported_link event with count 2; edge
// case 19: 2 records longer than the snap length kept whole, one
// capture_over_snaplen event with count 2.
func TestInputCountersReported(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ capture, kind, want string }{
		{"20-pcapng-unsupported-link/input.pcapng", "capture_unsupported_link", "warning,2,true"},
		{"19-pcap-caplen-over-snaplen/input.pcap", "capture_over_snaplen", "info,2,true"},
	} {
		f := filepath.Join(samples(t), "edge", c.capture)
		out := filepath.Join(t.TempDir(), "o")
		if code, _, stderr := tmon(t, "replay", "-q", "--out", out, f); code != 0 {
			t.Fatalf("%s: exit %d: %s", c.capture, code, stderr)
		}
		sql := fmt.Sprintf("select severity, count, contains(message, '%s') as names_file from events where kind = '%s'", filepath.Base(f), c.kind)
		if _, stdout, _ := tmon(t, "query", "--out", out, "--format", "csv", "--sql", sql); stdout != "severity,count,names_file\n"+c.want+"\n" {
			t.Errorf("%s: %s events %q, want %q", c.capture, c.kind, stdout, c.want)
		}
	}
}

// TestReplayEngineWarningsOneLine: what the engines log during a replay
// (here long retry mode: every PDU lost on the link) is a tmonbench
// warning line naming the probe, not a "time=... level=WARN msg=..."
// record in the middle of the command's own lines.
func TestReplayEngineWarningsOneLine(t *testing.T) {
	ntp := filepath.Join("..", "..", "samples", "zeek_ntp.pcap")
	code, _, stderr := tmon(t, "replay", "-q", "--out", filepath.Join(t.TempDir(), "out"), "--link-loss", "1", ntp)
	want := "tmonbench replay: warning: probe zeek_ntp: collector: PDU 1 (hello) unacknowledged after "
	if code != 0 || !strings.HasPrefix(stderr, want) || strings.Contains(stderr, "level=") {
		t.Errorf("replay with every PDU lost: exit %d, stderr:\n%s\nwant exit 0 and lines starting %q", code, stderr, want)
	}
}

// TestWarnLogKeepsAttrs: an engine's error record keeps what it carries
// (the error, counts) after its message; the probe names the line and
// the event kind is left out.
func TestWarnLogKeepsAttrs(t *testing.T) {
	var b strings.Builder
	l := warnLog(&b, "replay")
	l.Error("collector: writing failed: acknowledgements stopped, stopping", "err", errors.New("disk full"), "acks_dropped", 3)
	l.Warn("long retry mode", "probe", "A", "kind", "pdu_long_retry")
	l.Info("probe_start", "probe", "A")
	want := "tmonbench replay: error: collector: writing failed: acknowledgements stopped, stopping (err disk full, acks_dropped 3)\n" +
		"tmonbench replay: warning: probe A: long retry mode\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}
