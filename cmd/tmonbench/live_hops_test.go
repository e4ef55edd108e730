package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/netlab"
)

// TestLiveWarnsUnseenHops: live with a one-way class whose hops are not
// its probe says so at start, as replay does (pipeline.UnseenHops): it
// said nothing and left the one-way tables empty with no reason. A hop
// that is the probe's interface (h/lo) is seen: no line for it.
func TestLiveWarnsUnseenHops(t *testing.T) {
	netlab.Need(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "oneway.yaml")
	os.WriteFile(cfg, []byte(`interval_s: 1
classes:
  - name: path
    filter: "udp and dst port 9"
    granularity: [dst_addr, dst_port]
    analyses: [counters, oneway]
    oneway:
      hops: [A, h/lo, B]
`), 0o644)
	code, _, stderr := tmon(t, "live", "-i", "lo", "--config", cfg, "--out", filepath.Join(dir, "out"), "--name", "h", "--duration", "200ms")
	if code != 0 {
		t.Fatalf("live: status %d\n%s", code, stderr)
	}
	for _, hop := range []string{"A", "B"} {
		want := `tmonbench live: warning: one-way class "path": hop "` + hop + `" is no probe (or probe/interface) of this run (probes h/lo): no packet is seen there`
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, `hop "h/lo"`) {
		t.Errorf("a warning for the hop h/lo, which is the probe's interface:\n%s", stderr)
	}
}
