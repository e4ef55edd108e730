package tui

import (
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/tmonbench/tmonbench/internal/testdb"
	"github.com/tmonbench/tmonbench/internal/testout"
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
	db := testdb.Open(t, oneSecondOut(t))
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

// oneSecondOut replays the lab FTP capture A with 1 s intervals (once
// per test binary) and returns its output folder.
func oneSecondOut(t *testing.T) string {
	t.Helper()
	const key = "interval_s 1: " + ftpLab
	if o, ok := outs[key]; ok {
		return o
	}
	dir, err := os.MkdirTemp("", "tui-test-")
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "one-second.yaml")
	if err := os.WriteFile(cfg, []byte("interval_s: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "tmon-out")
	testout.Run(t, "replay", "-q", "--progress", "never", "--config", cfg, "--out", out, capture(t, ftpLab))
	outs[key] = out
	return out
}

// TestBrushedOverviewCountsIntervals: with a brush, the overview's probe
// rows count the packets and bytes of the flow_counters intervals
// overlapping it, not the full totals of every flow overlapping it (the
// trial's 1.3 s brush showed the 6,376 packets of 12 whole flows). Lab FTP
// capture A with 1 s intervals, brush 14:57:39.178–14:57:40.500: the
// intervals 14:57:39 and :40 hold 1,143 + 1,394 = 2,537 packets and
// 907,398 + 1,453,675 = 2,361,073 IP bytes of class all, in 12 flows
// (select sum(sum) from flow_counters join flows using (probe, flow_id)
// where class = 'all' and interval_start in (...)).
func TestBrushedOverviewCountsIntervals(t *testing.T) {
	db := testdb.Open(t, oneSecondOut(t))
	b := brush{lo: 1795964259178000000, hi: 1795964260500000000}
	d, err := loadOverview(context.Background(), db, "", b, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.probes) != 1 {
		t.Fatalf("probe rows %+v, want one", d.probes)
	}
	p := d.probes[0]
	if p.class != "all" || p.packets != 2_537 || p.bytes != 2_361_073 || p.flows != 12 ||
		fmtClock(p.first) != "14:57:39.000000" || fmtClock(p.last) != "14:57:40.999999" {
		t.Errorf("brushed row %+v (%s – %s), want all: 2,537 packets, 2,361,073 bytes, 12 flows, 14:57:39 – 14:57:40.999999",
			p, fmtClock(p.first), fmtClock(p.last))
	}
	want := "packets and bytes in the 1 s flow_counters intervals overlapping the brush, 14:57:39 – 14:57:41"
	if d.brushHow != want {
		t.Errorf("brush label %q, want %q", d.brushHow, want)
	}
	var tcp int64
	for _, r := range d.protos {
		if r.label == "tcp" {
			tcp = r.bytes
		}
	}
	if tcp != 2_361_073 {
		t.Errorf("protocol mix %+v, want tcp 2,361,073 bytes", d.protos)
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

// TestBinText: the strip's bin width reads in the unit that keeps it
// short, days for captures days apart (two samples 5 years apart gave
// "IP bytes per 1.02e+06 s").
func TestBinText(t *testing.T) {
	for _, c := range []struct {
		s    float64
		want string
	}{
		{0.00025, "250 µs"}, {0.25, "250 ms"}, {1.5, "1.5 s"}, {90, "90 s"}, {720, "12 min"},
		{11520, "3.2 h"}, {1.02e6, "11.8 d"},
	} {
		if got := binText(c.s); got != c.want {
			t.Errorf("binText(%g) = %q, want %q", c.s, got, c.want)
		}
	}
}

// TestProbeNamesWhole: the overview's probe column was 10 columns wide
// whatever the terminal, so at 160 columns the replay of
// testdata/pcap/ipv6/*.pcap* showed chrissanders_http_ip4and6 and
// chrissanders_ipv6_fragments both as "chrissand…", and a --pair
// interface eth0+eth1 as "eth0+…". The columns now widen to the longest
// names as far as the width allows; no line is ever wider than it.
func TestProbeNamesWhole(t *testing.T) {
	rows := []probeRow{
		{probe: "chrissanders_http_ip4and6", iface: "if0", class: "all", packets: 20, bytes: 2415, flows: 4},
		{probe: "chrissanders_ipv6_fragments", iface: "if0", class: "all", packets: 22, bytes: 16176, flows: 4},
		{probe: "tap", iface: "eth0+eth1", class: "all", packets: 1, bytes: 60, flows: 1},
	}
	o := &overview{d: &overviewData{probes: rows}}
	e := &env{st: newStyles(lipgloss.NewRenderer(io.Discard), false)}
	for _, w := range []int{60, 80, 100, 116, 120, 160} {
		var b strings.Builder
		o.probeRows(e, &b, w)
		text := b.String()
		for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
			if n := ansi.StringWidth(l); n > w && w >= 74 {
				t.Errorf("width %d: a line of %d columns: %q", w, n, l)
			}
		}
		if w < 160 {
			continue
		}
		for _, want := range []string{"chrissanders_http_ip4and6 ", "chrissanders_ipv6_fragments ", " eth0+eth1 "} {
			if !strings.Contains(text, want) {
				t.Errorf("width %d: %q not whole in\n%s", w, strings.TrimSpace(want), text)
			}
		}
	}
}

// TestLiveProbeNamesWhole: the live panel and its busiest flows cut the
// probe to 10 columns and the interface to 8 whatever the width: live's
// default probe name is the host name, so an EC2 host's
// ip-172-31-20-144 read ip-172-31… at 160 columns. They widen as the
// overview's do, and no row is wider than the screen.
func TestLiveProbeNamesWhole(t *testing.T) {
	s := &LiveStatus{
		Ifaces: []LiveIface{{Probe: "ip-172-31-20-144", Iface: "enp0s31f6+enp0s31f7", Packets: 1000, Bytes: 64000, KernelDrops: 0}},
		Probes: []LiveProbe{{Name: "ip-172-31-20-144", Packets: 1000}},
		Flows: []LiveFlow{{Probe: "ip-172-31-20-144", Iface: "enp0s31f6+enp0s31f7", Class: "all", FlowID: 1, IntervalS: 1, CoveredS: 1,
			Protocol: 17, SrcAddr: "10.0.0.1", DstAddr: "10.0.0.2", SrcPort: 5000, DstPort: 6000, Packets: 10, Bytes: 1000}},
	}
	e := &env{st: newStyles(lipgloss.NewRenderer(io.Discard), false), snap: s}
	for _, w := range []int{80, 120, 160} {
		text := livePanel(e, w, 40)
		for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
			if n := ansi.StringWidth(l); n > w && strings.HasPrefix(l, "ip-172") {
				t.Errorf("width %d: a row of %d columns: %q", w, n, l)
			}
		}
		if w < 160 {
			continue
		}
		for _, want := range []string{"ip-172-31-20-144 enp0s31f6+enp0s31f7      1,000", "ip-172-31-20-144 enp0s31f6+enp0s31f7 all"} {
			if !strings.Contains(text, want) {
				t.Errorf("width %d: %q not whole in\n%s", w, want, text)
			}
		}
	}
}

// TestProbeTableOneLine: below 116 columns the overview's probe rows took
// two lines each (a trial at 80 columns read every row wrapped). From 80
// columns up each row is one line no wider than the screen, with names
// that share their first 10 characters kept apart (elided in the middle),
// over a dated output (first seen with its date) and counts of billions;
// at 60 columns, too narrow for that, two lines a row as before.
func TestProbeTableOneLine(t *testing.T) {
	const day = 86400e9
	rows := []probeRow{
		{probe: "chrissanders_http_ip4and6", iface: "if0", class: "all", packets: 20, bytes: 2415, flows: 4, first: 1.6e18, last: 1.6e18 + 5e9},
		{probe: "chrissanders_ipv6_fragments", iface: "if0", class: "all", packets: 3_123_456_789, bytes: 4_123_456_789_012, flows: 12_345_678, first: 1.6e18 + 3*day, last: 1.6e18 + 4*day, malformed: "1,234"},
		{probe: "tap", iface: "eth0+eth1", class: "dns", packets: 1, bytes: 60, flows: 1, first: 1.6e18, last: 1.6e18},
	}
	o := &overview{d: &overviewData{probes: rows}}
	e := &env{st: newStyles(lipgloss.NewRenderer(io.Discard), false), dated: true}
	for _, w := range []int{60, 80, 90, 100, 115, 120} {
		var b strings.Builder
		o.probeRows(e, &b, w)
		lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		want := 1 + len(rows)
		if w == 60 {
			want = 2 * want
		}
		if len(lines) != want {
			t.Errorf("width %d: %d lines, want %d:\n%s", w, len(lines), want, b.String())
		}
		if w == 60 {
			continue
		}
		for _, l := range lines {
			if n := ansi.StringWidth(l); n > w {
				t.Errorf("width %d: a line of %d columns: %q", w, n, l)
			}
		}
		first := func(l string) string { return strings.Fields(l)[0] }
		if a, b := first(lines[1]), first(lines[2]); a == b || !strings.HasPrefix(a, "chri") || !strings.HasSuffix(b, "nts") {
			t.Errorf("width %d: probes %q and %q, want both ends of each name", w, a, b)
		}
		for _, c := range []string{"2020-09-16 12:26", "2020-09-13 12:26", "1,234"} {
			if !strings.Contains(b.String(), c) {
				t.Errorf("width %d: no %s in\n%s", w, c, b.String())
			}
		}
	}
}

// TestProbeNameWholeAt120: at 120 columns the 116-column row cut a probe
// named after its capture (replay --tui of chrissanders_dns_lab.pcapng
// read "chrissanders_…"); the row that fits it whole is taken instead.
func TestProbeNameWholeAt120(t *testing.T) {
	o := &overview{d: &overviewData{probes: []probeRow{{probe: "chrissanders_dns_lab", iface: "if0", class: "all", packets: 22, bytes: 1957, flows: 22,
		first: 1490971523_828324000, last: 1490971527_270409000}}}}
	e := &env{st: newStyles(lipgloss.NewRenderer(io.Discard), false)}
	var b strings.Builder
	o.probeRows(e, &b, 120)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "chrissanders_dns_lab ") || ansi.StringWidth(lines[1]) > 120 {
		t.Errorf("at 120 columns:\n%s", b.String())
	}
}

// TestElideMiddle: names are shortened in their middle, to the width
// asked, the head taking the odd column.
func TestElideMiddle(t *testing.T) {
	for _, c := range []struct {
		s    string
		w    int
		want string
	}{
		{"chrissanders_ipv6_fragments", 10, "chris…ents"},
		{"chrissanders_ipv6_fragments", 11, "chris…ments"},
		{"short", 10, "short"},
		{"abc", 1, "…"},
		{"täst_ümlaut", 6, "täs…ut"},
	} {
		if got := elideMiddle(c.s, c.w); got != c.want || ansi.StringWidth(got) > c.w {
			t.Errorf("elideMiddle(%q, %d) = %q, want %q", c.s, c.w, got, c.want)
		}
	}
}

// TestShortCount: counts from 100,000 up in 3 digits and a unit.
func TestShortCount(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{{7799, "7,799"}, {99999, "99,999"}, {100000, "100k"}, {123456, "123k"}, {999_499, "999k"}, {999_500, "1M"},
		{12_345_678, "12.3M"}, {3_123_456_789, "3.12G"}, {-123456, "-123k"}} {
		if got := shortCount(c.n); got != c.want {
			t.Errorf("shortCount(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

// TestOutputTitle: the overview's title lists its capture files whole
// and, when they do not fit, keeps the first ones whole and says how many
// it leaves out. It once was cut at the end (the last captures lost),
// then in the middle of the joined list, which kept the first and last
// but hid the ones between without a word: a new-user trial at 60 columns
// read "captures ftp/A.pcap, tcp-mi…pcap, frag/A.pcap" (three of the
// lab's captures, testdata/lab, with the middle one cut). Deliberately
// changed: no name is cut inside a list, the count says what is missing.
func TestOutputTitle(t *testing.T) {
	in := []string{"chrissanders_dns_lab.pcapng", "zeek_ntp.pcap", "zeek_wikipedia.pcap"}
	lab := []string{"ftp/A.pcap", "tcp-mix/A.pcap", "frag/A.pcap", "dns-snmp-ntp/A.pcap"}
	for _, c := range []struct {
		out  string
		in   []string
		w    int
		want string
	}{
		{"/tmp/tmon-out", in, 120, "Output tmon-out  ·  captures chrissanders_dns_lab.pcapng, zeek_ntp.pcap, zeek_wikipedia.pcap"},
		// room 31: the first name (27) and ", +2 more" (9) do not fit: the first elided to 22, ends kept
		{"/tmp/tmon-out", in, 60, "Output tmon-out  ·  captures chrissander…lab.pcapng, +2 more"},
		// room 34: ftp/A.pcap, tcp-mix/A.pcap (26) and ", +2 more" (9) is 35: one name whole
		{"/tmp/tmon-out", lab, 60, "Output tmon-out  ·  captures ftp/A.pcap, +3 more"},
		{"/tmp/tmon-out", lab, 80, "Output tmon-out  ·  captures ftp/A.pcap, tcp-mix/A.pcap, frag/A.pcap, +1 more"},
		{"/tmp/tmon-out", lab, 100, "Output tmon-out  ·  captures ftp/A.pcap, tcp-mix/A.pcap, frag/A.pcap, dns-snmp-ntp/A.pcap"},
		// one capture: elided in the middle, nothing left out
		{"/tmp/tmon-out", in[:1], 50, "Output tmon-out  ·  captures chrissande…lab.pcapng"},
	} {
		got := outputTitle(c.out, c.in, c.w)
		if got != c.want {
			t.Errorf("%d captures at %d: %q, want %q", len(c.in), c.w, got, c.want)
		}
		if n := ansi.StringWidth(got); n > c.w {
			t.Errorf("%d captures at %d: %d columns wide", len(c.in), c.w, n)
		}
	}
}

// TestProbeRowsTwoLinesFit: below the one-line layouts (under 77 columns
// for these rows) each probe row takes two lines, and the first was 74
// columns wide with the packets at its end: in a terminal of 70 (tmux, a
// trial over the lab's A.pcap, zeek_wikipedia and chrissanders_http_ip4and6)
// the header read "IP pa…" and every packet count "…"; at 60 the span was
// cut too. The packets now open the second line: no line is wider than
// the screen and every count is whole, down to 60 columns.
func TestProbeRowsTwoLinesFit(t *testing.T) {
	rows := []probeRow{
		{probe: "chrissanders_http_ip4and6", iface: "if0", class: "all", packets: 20, bytes: 2415, flows: 4, first: 1.6e18, last: 1.6e18 + 5e9},
		{probe: "chrissanders_ipv6_fragments", iface: "if0", class: "all", packets: 3_123_456_789, bytes: 4_123_456_789_012, flows: 12_345_678, first: 1.6e18, last: 1.6e18 + 7426e6, malformed: "1,234"},
	}
	o := &overview{d: &overviewData{probes: rows}}
	e := &env{st: newStyles(lipgloss.NewRenderer(io.Discard), false), dated: true}
	for _, w := range []int{60, 64, 70, 74} {
		var b strings.Builder
		o.probeRows(e, &b, w)
		text := b.String()
		lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
		if len(lines) != 2*(1+len(rows)) {
			t.Errorf("width %d: %d lines, want two a row:\n%s", w, len(lines), text)
		}
		for _, l := range lines {
			if n := ansi.StringWidth(l); n > w {
				t.Errorf("width %d: a line of %d columns: %q", w, n, l)
			}
		}
		for _, want := range []string{"IP packets", "3,123,456,789", "4,123,456,789,012", "12,345,678", "1,234", "7.426 s", "5.000 s", "2020-09-13 12:26:40.000000"} {
			if !strings.Contains(text, want) {
				t.Errorf("width %d: no %q in\n%s", w, want, text)
			}
		}
		if a, b := strings.Fields(lines[2])[0], strings.Fields(lines[4])[0]; a == b {
			t.Errorf("width %d: both probes read %q", w, a)
		}
	}
}
