package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestGzipTrailingWarning: a .gz capture with bytes after its compressed
// stream (replay/testdata/ntp-trailing.pcap.gz: samples/zeek_ntp.pcap
// gzipped, 543 bytes, and 25 bytes of garbage; `gzip -t`: "decompression
// OK, trailing garbage ignored") has all its 12 packets read (`tshark -r
// samples/zeek_ntp.pcap`: 12) and is said to hold 25 bytes of trailing
// data, on stderr and in a capture_trailing_data event counting them, not
// to be truncated or damaged (a trial's "record header cut short …
// capture truncated").
func TestGzipTrailingWarning(t *testing.T) {
	out := filepath.Join(t.TempDir(), "o")
	f := filepath.Join("..", "..", "replay", "testdata", "ntp-trailing.pcap.gz")
	code, _, stderr := tmon(t, "replay", "-q", "--out", out, f)
	want := "tmonbench replay: warning: " + f + ": 25 bytes of trailing data after the gzip stream, ignored (as gzip -d: \"trailing garbage ignored\"): every packet of the stream read, not a truncated capture\n"
	if code != 0 || stderr != want {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 0 and:\n%s", code, stderr, want)
	}
	sql := "select (select sum(packets) from flows where class = 'all'), " +
		"(select string_agg(kind || ' ' || severity || ' ' || count, ';') from events where source = 'replay')"
	_, stdout, _ := tmon(t, "query", "--out", out, "--format", "csv", "--sql", sql)
	if lines := strings.Split(strings.TrimSpace(stdout), "\n"); len(lines) != 2 || lines[1] != "12,capture_trailing_data warning 25" {
		t.Errorf("packets and replay events %q: want 12 packets and one capture_trailing_data warning counting 25 bytes", stdout)
	}
}
