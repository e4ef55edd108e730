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
	if !strings.Contains(msg, "1 pcapng timestamps beyond 2262-04-11 (int64 nanoseconds overflow), saturated to 2262-04-11T23:47:16.854775807Z") {
		t.Errorf("message: %s", msg)
	}
}
