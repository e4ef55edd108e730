package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestQueryRTTResponsesOnly: a class that sees the responses and not
// their requests (a capture of one direction: asymmetric routing; here a
// filter naming the responses' source) times nothing; `query rtt` printed
// "(0 rows)" alone (a trial's gopacket_linux_sll_oversized_addr.pcapng,
// a SYN-ACK whose SYN is not in the capture). It now says why.
// zeek_wikipedia holds 14 DNS responses from port 53: tshark -r
// samples/zeek_wikipedia.pcap -Y 'udp.srcport==53 &&
// dns.flags.response==1' | wc -l.
func TestQueryRTTResponsesOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("classes:\n  - {name: dnsr, filter: \"udp src port 53\", analyses: [counters, rtt], rtt: {kinds: [dns]}}\n"), 0o644)
	out := filepath.Join(dir, "out")
	if code, _, stderr := tmon(t, "replay", "-q", "--config", cfg, "--out", out, filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")); code != 0 {
		t.Fatal(stderr)
	}
	want := "tmonbench query: rtt_samples is empty: the classes that run the rtt analysis saw responses but not one request (dnsr, filter \"udp src port 53\": 14 dns responses; event rtt_totals): a round trip is timed from a request the probe saw, so a capture of one direction only (asymmetric routing, a filter naming the responses' source) or begun after the requests times nothing (event rtt_orphan_responses)\n"
	if code, stdout, stderr := tmon(t, "query", "--out", out, "rtt"); code != 0 || stderr != want || !strings.HasSuffix(stdout, "(0 rows)\n") {
		t.Errorf("query rtt: exit %d, stdout %q, stderr %q, want (0 rows) and %q", code, stdout, stderr, want)
	}
}
