package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLocalTimeWarning: TZ=Nowhere/Zone tmonbench query --local-time
// summary printed every time with Z, as if --local-time were ignored: Go
// takes UTC for a TZ it cannot load (its local zone is then named "UTC").
// It now says so; a known zone, TZ unset, empty or UTC say nothing.
func TestLocalTimeWarning(t *testing.T) {
	brussels := time.FixedZone("Europe/Brussels", 3600) // what time.Local is under a TZ that loaded
	for _, c := range []struct {
		tz    string
		set   bool
		local *time.Location
		warn  bool
	}{
		{"Nowhere/Zone", true, time.UTC, true},
		{":Nowhere/Zone", true, time.UTC, true},
		{"Europe/Brussels", true, brussels, false},
		{"", false, time.UTC, false},
		{"", true, time.UTC, false},
		{"UTC", true, time.UTC, false},
		{":UTC", true, time.UTC, false},
	} {
		got := localTimeWarning(c.tz, c.set, c.local)
		if (got != "") != c.warn || c.warn && !strings.Contains(got, `TZ="`+c.tz+`" is no time zone known here`) {
			t.Errorf("TZ %q (set %v, local %v): warning %q, want one: %v", c.tz, c.set, c.local, got, c.warn)
		}
	}
	if got := localTimeWarning("Nowhere/Zone", true, time.Local); time.Local.String() != "UTC" && got != "" {
		t.Errorf("the process's own zone %v: warning %q", time.Local, got)
	}
}

// TestQueryLocalTimeUnknownTZ: the warning reaches the user, from a
// process whose TZ is unknown (Go reads TZ once, at its start).
func TestQueryLocalTimeUnknownTZ(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	out := filepath.Join(t.TempDir(), "o")
	if code, _, stderr := tmon(t, "replay", "--progress", "never", "-q", "--out", out, filepath.Join("..", "..", "testdata", "pcap", "mixed", "zeek_wikipedia.pcap")); code != 0 {
		t.Fatalf("replay: %d %s", code, stderr)
	}
	q := exec.Command(bin, "query", "--out", out, "--format", "csv", "--local-time", "--sql", "select min(first_seen) t from flows")
	q.Env = append(os.Environ(), "TZ=Nowhere/Zone")
	var stderr strings.Builder
	q.Stderr = &stderr
	stdout, err := q.Output()
	if err != nil {
		t.Fatalf("query: %v %s", err, stderr.String())
	}
	if string(stdout) != "t\n2011-03-18T19:06:07.096535000Z\n" || stderr.String() != "tmonbench query: warning: --local-time: TZ=\"Nowhere/Zone\" is no time zone known here (no such file under /usr/share/zoneinfo, nor a tzfile path): times print in UTC\n" {
		t.Errorf("query --local-time under TZ=Nowhere/Zone: stdout %q, stderr %q", stdout, stderr.String())
	}
}
