package collector

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
)

// TestRestartAfterCleanEnd: a probe whose run ended cleanly (its final
// report arrived) and that runs again was logged "probe restarted" at
// WARN with a probe_restart warning (a trial's probe run twice on its
// capture); a clean end followed by a new run is normal: info, in the log
// and the event. A new run after a run cut short (its final report never
// came: a probe killed) stays a warning.
func TestRestartAfterCleanEnd(t *testing.T) {
	cfg, err := config.Parse([]byte("probes: [{name: A}]\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	first, second := probeFrames(t, cfg, "A", "lab/dns-snmp-ntp/A.pcap", 7), probeFrames(t, cfg, "A", "lab/dns-snmp-ntp/A.pcap", 8)
	for _, c := range []struct {
		name        string
		first       [][]byte // the first run as it arrived
		sev, logged string
	}{
		{"clean", first, observe.SevInfo, `level=INFO msg="probe started a new run after a clean end"`},
		{"cut", first[:len(first)/2], observe.SevWarning, `level=WARN msg="probe restarted: a new run, the previous one did not end cleanly"`},
	} {
		var log strings.Builder
		coll, err := New(cfg, slog.New(slog.NewTextHandler(&log, nil)))
		if err != nil {
			t.Fatal(err)
		}
		coll.SetProbes([]uint16{cfg.ProbeID("A")})
		for _, f := range append(append([][]byte(nil), c.first...), second...) {
			coll.Handle(f)
		}
		var got []string
		for _, e := range coll.Drain().Events {
			if e.Kind == "probe_restart" {
				got = append(got, e.Severity)
			}
		}
		if len(got) != 1 || got[0] != c.sev || !strings.Contains(log.String(), c.logged) {
			t.Errorf("%s: probe_restart severities %v, want [%s]; log:\n%s\nwant %s", c.name, got, c.sev, log.String(), c.logged)
		}
	}
}
