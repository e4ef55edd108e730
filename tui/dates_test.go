package tui

import (
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/internal/testout"
)

// TestTimesCarryDate: an output of captures nine years apart
// (testdata/stepback.pcap: DNS on 2011-03-18 from 19:06:08, ICMP echoes
// on 2020-12-08 19:10:03 to 19:10:07, see stepBackFrames) showed only
// times of day: Events sorted by time read 19:06:08 then 19:10:03, as if
// minutes apart, and the throughput axis ended at "19:10:07.000000".
// Now, as the output spans more than one UTC day, every time carries its
// date (ISO 8601), the axis's end too; an output within one day keeps
// its times of day (TestTimesOfOneDay).
func TestTimesCarryDate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	testout.Run(t, "replay", "-q", "--progress", "never", "--out", out, filepath.Join("testdata", "stepback.pcap"))
	m, press, expect := screenModel(t, out)
	expect("overview axis", "2011-03-18 19:06:08.000000", "2020-12-08 19:10:07.000000")
	press("2")
	tb := activeTable(t, m)
	expect("flows", "2011-03-18 19:06:08.000000", "2020-12-08 19:10:03.000000")
	if n := len(tb.rows); n != 5 {
		t.Fatalf("%d flows, want 5 (DNS each way in classes all and dns, the ICMP echoes in all)", n)
	}
	press("7")
	expect("events", "2011-03-18 19:06:08.000000", "2020-12-08 19:10:03.000000")
	press("8", "enter")
	expect("summary", "2011-03-18 19:06:08.000000", "2020-12-08 19:10:03.000000") // first_seen of udp and icmp
}

// TestTimesOfOneDay: the FTP lab's output lies within one UTC day: times
// of day only, no date in the tables.
func TestTimesOfOneDay(t *testing.T) {
	m, press, _ := screenModel(t, replayed(t, ftpLab))
	if m.e.dated {
		t.Fatal("an output of one day is dated")
	}
	press("2")
	activeTable(t, m)
	s := plain(m)
	if regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:`).MatchString(s) || !regexp.MustCompile(` \d\d:\d\d:\d\d\.\d{6} `).MatchString(s) {
		t.Errorf("flows of one day: want times of day without a date:\n%s", s)
	}
}

// TestSpanDated: the date is needed when two times fall on different UTC
// days, one nanosecond across midnight too, and before 1970 (negative
// Unix ns: floor, not truncation, to the day).
func TestSpanDated(t *testing.T) {
	ns := func(s string) int64 {
		x, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return x.UnixNano()
	}
	for _, tc := range []struct {
		lo, hi string
		want   bool
	}{
		{"2020-12-08T00:00:00Z", "2020-12-08T23:59:59.999999999Z", false},
		{"2020-12-08T23:59:59.999999999Z", "2020-12-09T00:00:00Z", true},
		{"1969-12-31T00:00:01Z", "1969-12-31T23:59:59Z", false},
		{"1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z", true},
		{"2000-02-19T19:23:55Z", "2020-12-08T19:10:08.018993Z", true},
	} {
		if got := spanDated(ns(tc.lo), ns(tc.hi)); got != tc.want {
			t.Errorf("spanDated(%s, %s) = %v, want %v", tc.lo, tc.hi, got, tc.want)
		}
	}
}
