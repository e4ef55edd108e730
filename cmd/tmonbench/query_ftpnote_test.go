package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestQueryNoTransferNote: over a password brute force, FTP sessions and
// not one transfer, `query ftp` says why ftp_transfers is empty (a trial
// got "(0 rows)" and nothing else, and the TUI's FTP screen "(no rows)"
// alone, over chrissanders_ppa1e_ftp-crack.pcap). Its first 200 packets
// (editcap -r F out 1-200) hold, per tshark 4.0, 26 TCP streams to port
// 21 (tshark -T fields -e tcp.stream | sort -u), 11 USER and 15 PASS
// (ftp.request.command), and no 230 reply: 12 × 220, 15 × 331, 16 × 530
// (ftp.response.code).
func TestQueryNoTransferNote(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	capture := filepath.Join(dir, "crack200.pcap")
	os.WriteFile(capture, firstRecords(t, testsamples.Path(t, "pcap", "ftp-edge", "chrissanders_ppa1e_ftp-crack.pcap"), 200), 0o644)
	out := filepath.Join(dir, "out")
	if code, _, stderr := tmon(t, "replay", "-q", "--out", out, capture); code != 0 {
		t.Fatal(stderr)
	}
	want := "tmonbench query: ftp_transfers is empty: the 26 FTP sessions of ftp_sessions asked for no file transfer or listing (26 commands, none logged in)\n"
	if code, stdout, stderr := tmon(t, "query", "--out", out, "ftp"); code != 0 || stderr != want || !strings.HasSuffix(stdout, "(0 rows)\n") {
		t.Errorf("query ftp: exit %d, stdout %q, stderr %q, want (0 rows) and %q", code, stdout, stderr, want)
	}
}

// firstRecords returns the file header and first n records of the
// little-endian pcap at path (editcap -r path out 1-n).
func firstRecords(t *testing.T, path string, n int) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	off := 24
	for range n {
		off += 16 + int(binary.LittleEndian.Uint32(b[off+8:]))
	}
	return b[:off]
}
