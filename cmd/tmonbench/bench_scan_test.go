package main

import (
	"encoding/json"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testsamples"
	"github.com/tmonbench/tmonbench/replay"
)

// TestBenchScansOnce: bench names a pcapng's interfaces once for all its
// runs (replay.ScanInterfaces reads the whole file), where each full run
// scanned it again (--repeat 3: 3 scans of the file from disk; with
// --preload 3 scans of its bytes). Every run still takes the file for its
// two interfaces: 5 flows and 25 flow_counters rows, as replay writes
// them (TestBenchRowsAreReplays; gopacket's test202, frames on
// interface_id 0 and 1 by tshark).
func TestBenchScansOnce(t *testing.T) {
	multi := testsamples.Path(t, "pcap", "pcapng-multi-if", "gopacket_pcapgo_le_test202.pcapng")
	scans := map[string]int{}
	scanInterfaces = func(path string) ([]replay.Interface, error) {
		scans[path]++
		return replay.ScanInterfaces(path)
	}
	defer func() { scanInterfaces = replay.ScanInterfaces }()
	for _, preload := range []bool{false, true} {
		clear(scans)
		args := []string{"bench", "-q", "--json", "--stages=false", "--repeat", "3", "--tmp", t.TempDir()}
		if preload {
			args = append(args, "--preload")
		}
		code, stdout, stderr := tmon(t, append(args, multi)...)
		if code != 0 {
			t.Fatalf("preload %v: bench: exit %d: %s", preload, code, stderr)
		}
		if scans[multi] != 1 || len(scans) != 1 {
			t.Errorf("preload %v: --repeat 3 scanned the interfaces %v times, want once", preload, scans)
		}
		var rep struct {
			Tables map[string]struct{ Rows int64 } `json:"tables"`
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("preload %v: bench --json: %v", preload, err)
		}
		if f, c := rep.Tables["flows"].Rows, rep.Tables["flow_counters"].Rows; f != 5 || c != 25 {
			t.Errorf("preload %v: flows %d, flow_counters %d rows: want 5 and 25 (two interfaces, as replay)", preload, f, c)
		}
	}
}
