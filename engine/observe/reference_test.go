package observe

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/tables.md from Reference()")

// TestDocsTablesMD: docs/tables.md is the reference the code generates
// (Reference, which `tmonbench query --schema` prints); -update rewrites it.
func TestDocsTablesMD(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "tables.md")
	ref := Reference()
	if *update {
		if err := os.WriteFile(path, []byte(ref), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != ref {
		t.Fatalf("docs/tables.md differs from the reference the code generates (%v): go test ./engine/observe -run TestDocsTablesMD -update", err)
	}
}

// TestEveryColumnDocumented (issue 9.5): every column of every table has
// a type, a meaning, and a unit when it is a number that has one; the
// reference names every table, event kind and PDU type.
func TestEveryColumnDocumented(t *testing.T) {
	ref := Reference()
	for _, tb := range Tables {
		if !strings.Contains(ref, "## "+tb.Name+"\n") {
			t.Errorf("reference lacks table %s", tb.Name)
		}
		for _, c := range tb.Columns() {
			if c.Type == "" || c.Doc == "" {
				t.Errorf("%s.%s: type %q, doc %q: add a // comment to the field in observe.go and run go run ./internal/refgen", tb.Name, c.Name, c.Type, c.Doc)
			}
			if c.Type == "DOUBLE" && c.Unit == "" && !unitless[c.Name] {
				t.Errorf("%s.%s is a DOUBLE without a unit in its name", tb.Name, c.Name)
			}
		}
	}
	for _, tb := range DerivedTables {
		if len(tb.Names) == 0 || !strings.Contains(ref, "## "+strings.Join(tb.Names, ", ")+"\n") || len(tb.Columns) < 5 {
			t.Errorf("reference lacks derived table %v (%d columns)", tb.Names, len(tb.Columns))
		}
		for _, c := range tb.Columns {
			if c.Type == "" || c.Doc == "" {
				t.Errorf("%s.%s: type %q, doc %q: document it where the table is written and run go run ./internal/refgen", tb.Names[0], c.Name, c.Type, c.Doc)
			}
			if c.Type == "DOUBLE" && c.Unit == "" && !unitless[c.Name] {
				t.Errorf("%s.%s is a DOUBLE without a unit in its name", tb.Names[0], c.Name)
			}
		}
	}
	if len(EventKinds) < 20 || len(PDUTypes) < 15 {
		t.Errorf("%d event kinds, %d PDU types", len(EventKinds), len(PDUTypes))
	}
}

// unitless are the floating columns whose unit is elsewhere: the
// statistics of flow_counters and its rollups, in the row's unit column.
var unitless = map[string]bool{"sum": true, "sumsq": true, "m2": true, "min": true, "max": true}

// TestUnitsInNames (issue 9.5): the statistics of oneway_latency and
// rtt_histograms carry their unit, flow_counters has a unit column, and
// every fixed metric has a unit.
func TestUnitsInNames(t *testing.T) {
	want := map[string][]string{
		TableOnewayLatency: {"sum_us", "sumsq_us2", "min_us", "max_us", "p50_us"},
		TableRTTHistograms: {"sum_ms", "sumsq_ms2", "min_ms", "max_ms", "slice_lo_ms"},
		TableFlowCounters:  {"unit", "interval_s"},
	}
	for table, cols := range want {
		have := map[string]Column{}
		for _, c := range TableNamed(table).Columns() {
			have[c.Name] = c
		}
		for _, c := range cols {
			if _, ok := have[c]; !ok {
				t.Errorf("%s has no column %s", table, c)
			}
		}
		for _, bare := range []string{"sum", "min", "max"} {
			if _, ok := have[bare]; ok && table != TableFlowCounters {
				t.Errorf("%s.%s has no unit in its name", table, bare)
			}
		}
	}
	// The rollups carry their raw table's unit (m2 the squared one);
	// flow_counters' keep the unit column.
	rollups := map[string][]string{
		TableOnewayLatency + "_1h":  {"sum_us", "sumsq_us2", "m2_us2", "min_us", "max_us", "p50_lo_us"},
		TableRTTHistograms + "_1h":  {"sum_ms", "sumsq_ms2", "m2_ms2", "min_ms", "max_ms", "slice_lo_ms"},
		TableFlowCounters + "_1h":   {"unit", "sum", "m2", "interval_s"},
		TableSizeHistograms + "_1h": {"slice_lo_bytes", "packets"},
		"packet_index":              {"time", "offset_bytes"},
	}
	for _, d := range DerivedTables {
		for _, name := range d.Names {
			cols, ok := rollups[name]
			if !ok {
				continue
			}
			delete(rollups, name)
			have := map[string]bool{}
			for _, c := range d.Columns {
				have[c.Name] = true
			}
			for _, c := range cols {
				if !have[c] {
					t.Errorf("%s has no column %s", name, c)
				}
			}
			for _, bare := range []string{"sum", "m2", "min", "max"} {
				if have[bare] && !strings.HasPrefix(name, TableFlowCounters) {
					t.Errorf("%s.%s has no unit in its name", name, bare)
				}
			}
		}
	}
	for name := range rollups {
		t.Errorf("DerivedTables lacks %s", name)
	}
	for _, m := range []string{"packets", "ip_bytes", "ttl", "dscp", "tcp_syn", "l4_payload_bytes", "icmp_type_8_code_0"} {
		if MetricUnit(m) == "" {
			t.Errorf("metric %s has no unit", m)
		}
	}
	if MetricUnit("ip_bytes") != "bytes" || MetricUnit("icmp_type_8_code_0") != "messages" {
		t.Errorf("units: %s %s", MetricUnit("ip_bytes"), MetricUnit("icmp_type_8_code_0"))
	}
}

// TestMetricsTableAsREADME: every flow_counters metric the README lists
// (its flow_counters row: rtt_unanswered_<kind> among them, which the data
// holds as rtt_unanswered_dns, unit messages, and the reference left out)
// has a row in the reference's metrics table, with its unit, and
// l4_payload_bytes says ICMP flows have none (probe.go counts it only for
// TCP, UDP and SCTP: a replay of icmp-echo gives no ICMP flow that row).
func TestMetricsTableAsREADME(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `flow_counters` \\|.*Metrics: (.*)$").FindSubmatch(readme)
	if row == nil {
		t.Fatal("README.md has no flow_counters row listing Metrics:")
	}
	_, table, _ := strings.Cut(Reference(), "## flow_counters metrics")
	table, _, _ = strings.Cut(table, "\n## ")
	names := regexp.MustCompile("`([a-z0-9_<>A-Z.]+)`").FindAllStringSubmatch(string(row[1]), -1)
	if len(names) < 15 {
		t.Fatalf("README's flow_counters row names %d metrics", len(names))
	}
	for _, n := range names {
		m := strings.Replace(n[1], "icmp6_...", "icmp6_type_T_code_C", 1)
		if !strings.Contains(table, "| `"+m+"` | "+MetricUnit(strings.NewReplacer("<kind>", "dns").Replace(m))+" |") {
			t.Errorf("metric %s (README) has no row with its unit in the reference", m)
		}
	}
	if !strings.Contains(table, "| `rtt_unanswered_<kind>` | messages |") || MetricUnit("rtt_unanswered_dns") != "messages" {
		t.Errorf("rtt_unanswered_<kind>: not a row of unit messages:\n%s", table)
	}
	if !regexp.MustCompile("\\| `l4_payload_bytes` \\| bytes \\| TCP, UDP and SCTP flows only[^|]*absent from ICMP").MatchString(table) {
		t.Errorf("l4_payload_bytes does not say ICMP flows lack it:\n%s", table)
	}
}

// TestUnitOfMSS: the MSS option carries the largest segment a side will
// receive, a size in octets of data (RFC 9293 §3.2 and §3.7.1; RFC 879;
// Wireshark's tcp.options.mss_val), not a count of things:
// tcp_connections' client_mss and server_mss are in bytes.
func TestUnitOfMSS(t *testing.T) {
	tcp := map[string]Column{}
	for _, c := range TableNamed(TableTCPConnections).Columns() {
		tcp[c.Name] = c
	}
	for _, name := range []string{"client_mss", "server_mss"} {
		c, ok := tcp[name]
		if !ok {
			t.Fatalf("tcp_connections has no column %s", name)
		}
		if c.Unit != "bytes" {
			t.Errorf("tcp_connections.%s: unit %q, want bytes (RFC 9293 §3.7.1: the MSS is in octets)", name, c.Unit)
		}
	}
}
