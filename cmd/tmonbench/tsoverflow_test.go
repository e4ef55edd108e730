package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestPcapngTimeOverflow: testdata/ts-overflow.pcapng (crafted: if_tsresol
// 10^0 = 1 s, packets at 1700000000 s, 2^62 s, 1700000001 s; tshark
// -e frame.time_epoch shows 4611686018427387904 for the second) has a
// timestamp beyond int64 ns. It was said "invalid timestamps (sub-second
// field out of range), normalised", a field a pcapng does not have, and
// the packet landed in 1970. Now the event says the overflow, the time
// saturates to 2262-04-11T23:47:16.854775807Z (math.MaxInt64 ns), and the
// probe takes it for an impossible time: the previous packet's
// (capture_time_invalid), so the run spans 1 s of 2023.
func TestPcapngTimeOverflow(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "o")
	code, stdout, stderr := tmon(t, "replay", "--progress", "never", "--out", out, filepath.Join("testdata", "ts-overflow.pcapng"))
	if code != 0 || !strings.Contains(stdout, "capture span           1.000 s\n") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	got := csvQuery(t, out, "select kind, count, epoch_ns(time) t from events where kind in ('capture_time_overflow', 'invalid_timestamps', 'capture_time_invalid') order by kind")
	want := "kind,count,t\ncapture_time_invalid,1,1700000000000000001\ncapture_time_overflow,1,1700000000000000000\n"
	if got != want {
		t.Errorf("events:\n%s\nwant\n%s", got, want)
	}
	msg := csvQuery(t, out, "select message from events where kind = 'capture_time_overflow'")
	if !strings.Contains(msg, "1 pcapng timestamp beyond 2262-04-11 (int64 nanoseconds overflow), saturated to 2262-04-11T23:47:16.854775807Z") {
		t.Errorf("message: %s", msg)
	}
}

// TestPcapngUnpaddedEPB: testdata/epb-unpadded.pcapng (crafted from the
// first 3 packets of samples/zeek_ntp.pcap, 90 bytes each; the second's
// data is followed at once by a comment option "hi", not padded to 32
// bits) is corrupt for tshark -r ("Not enough data to handle option of
// length 26984", 1 packet shown). The replay read it without a word (D21
// of a new user's trial); it now reads the 3 packets and says the block
// in a capture_bad_options event.
func TestPcapngUnpaddedEPB(t *testing.T) {
	out := filepath.Join(t.TempDir(), "o")
	code, stdout, stderr := tmon(t, "replay", "--progress", "never", "--out", out, filepath.Join("testdata", "epb-unpadded.pcapng"))
	if code != 0 || !strings.Contains(stdout, "packets read               3  (270 bytes captured)") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	got := csvQuery(t, out, "select severity, count, message from events where kind = 'capture_bad_options'")
	if !strings.Contains(got, "warning,1,") || !strings.Contains(got, "1 pcapng packet block whose options do not parse") || !strings.Contains(got, "the packet is kept, its options ignored") {
		t.Errorf("capture_bad_options events:\n%s", got)
	}
}
