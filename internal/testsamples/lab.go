package testsamples

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testout"
)

// LabPath is the path the lab's client-to-server datagrams travel
// (/work/shared/lab/README.md, topology: the client's capture A, the
// router's client-side link RC, its server-side link RS, the server side
// B): the hops of lab/oneway-udp's class in path order.
var LabPath = []string{"A", "RC", "RS", "B"}

// ReplayOnewayLab replays lab/oneway-udp at the capture points hops (of
// LabPath) with samples/oneway-lab.yaml, its class's hops set to hops (the
// file's comment says to set so for more than A and B), and args after
// (--rollup, ...); it returns the output folder (testout.Replay).
func ReplayOnewayLab(tb testing.TB, hops []string, args ...string) string {
	tb.Helper()
	yaml, err := os.ReadFile(filepath.Join(testout.ModuleRoot(tb), "samples", "oneway-lab.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	cfg := strings.Replace(string(yaml), "hops: [A, B]", "hops: ["+strings.Join(hops, ", ")+"]", 1)
	if cfg == string(yaml) {
		tb.Fatal("samples/oneway-lab.yaml has no 'hops: [A, B]' to set the lab's path in")
	}
	cfgPath := filepath.Join(tb.TempDir(), "path.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		tb.Fatal(err)
	}
	all := []string{"--config", cfgPath}
	for _, p := range hops {
		all = append(all, "--probe", p+"="+Path(tb, "lab", "oneway-udp", p+".pcap"))
	}
	return testout.Replay(tb, append(all, args...)...)
}
