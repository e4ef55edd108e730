package collector

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
)

// TestOnewayMaxBuild: the one-way reconcilers get the longest max_build_s
// of the collectors' regulations (1 s, the default, when none sets it), so
// that a probe killed is taken to have reported only up to its latest PDU's
// build time less that (oneway.TestKilledRunReportedLessMaxBuild: the
// packet of F2 seen at B 0.6 µs before that build time, never sent,
// counted lost).
func TestOnewayMaxBuild(t *testing.T) {
	for _, tc := range []struct {
		extra string
		want  float64
	}{
		{"", 1},
		{"collectors:\n  - {name: c1, address: \"127.0.0.1:4739\", max_build_s: 2.5}\n  - {name: c2, address: \"127.0.0.1:4740\"}\n", 2.5},
	} {
		cfg, err := config.Parse([]byte(distConfig+tc.extra), "dist.yaml")
		if err != nil {
			t.Fatal(err)
		}
		c, err := New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.ow.recs["telemetry"].Limits().MaxBuildS; got != tc.want {
			t.Errorf("collectors %q: MaxBuildS %v, want %v", tc.extra, got, tc.want)
		}
	}
}
