package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSummaryLongSpan: a replay's summary gave a capture span in seconds
// only: the 77 sample captures replayed together read "capture span
// 841910487.500 s", which nobody reads as 26 years. From 1000 s up the
// span is also said in hours or days. tcpdump_icmpv6.pcap's first and
// last packets are 2012-04-13 12:26:12.631155 and 2013-01-19
// 04:54:41.057031 (capinfos -a -e): 24251308.425876 s, 280 d 16 h 28 min.
func TestSummaryLongSpan(t *testing.T) {
	pcap := filepath.Join("..", "..", "testdata", "pcap", "ipv6", "tcpdump_icmpv6.pcap")
	code, stdout, stderr := tmon(t, "replay", "--progress", "never", "--out", filepath.Join(t.TempDir(), "o"), pcap)
	if code != 0 {
		t.Fatalf("replay: %d %s", code, stderr)
	}
	if !strings.Contains(stdout, "  capture span    24251308.426 s  (280 d 16 h)\n") {
		t.Errorf("summary of a capture spanning 280 days:\n%s", stdout)
	}
	for _, c := range []struct {
		ns   int64
		want string
	}{{999_999_999_999, ""}, {1000e9, "  (0 h 16 min 40 s)"}, {97512e9, "  (27 h 05 min 12 s)"}, {100 * 3600e9, "  (4 d 04 h)"}} {
		if got := longSpan(c.ns); got != c.want {
			t.Errorf("longSpan(%d) = %q, want %q", c.ns, got, c.want)
		}
	}
}

// TestSummaryAnomaliesRated: the summary's "anomalies 13" and its errors
// line's "packet_anomalies 9 (10 packets)" disagreed without saying why
// (gopacket_linux_sll_oversized_addr.pcapng; 19 against 16 for the 77
// sample captures): the errors line counts only the anomalies Wireshark
// rates errors. The anomalies line now splits its count: the events
// table's packet_anomalies sum(count) by severity is error 10, info 3.
func TestSummaryAnomaliesRated(t *testing.T) {
	pcap := filepath.Join("..", "..", "testdata", "pcap", "linux-sll", "gopacket_linux_sll_oversized_addr.pcapng")
	code, stdout, stderr := tmon(t, "replay", "--progress", "never", "--out", filepath.Join(t.TempDir(), "o"), pcap)
	if code != 0 {
		t.Fatalf("replay: %d %s", code, stderr)
	}
	for _, want := range []string{
		"  anomalies                 13  (packets kept with a doubtful length or header, once per kind; 10 rated errors (below), 3 notes: events packet_anomalies)\n",
		"  errors          packet_anomalies 9 (10 packets)",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("no %q in the summary:\n%s", want, stdout)
		}
	}
}
