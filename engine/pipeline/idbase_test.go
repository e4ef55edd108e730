package pipeline_test

import (
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
)

// TestIDBaseAcrossRuns runs one probe three times in a row, as live does
// across two configuration switch-overs (one pipeline.Run per version,
// into one output), each run's probe.Identity.IDBase the previous run's
// Result.LastIDs: no flow id, conn_id or session_id is given twice, each
// run's ids lie above the previous run's LastID and at most its own, and
// the first run numbers from 1 (docs/tables.md: flow_id, conn_id and
// session_id are probe-unique). A trial's live run numbered each
// version's flows from 1 again. Alone and with workers (shard.setIDs).
func TestIDBaseAcrossRuns(t *testing.T) {
	capture := filepath.Join(samplesDir(t), "lab", "ftp", "A.pcap")
	for _, workers := range []int{0, 2} {
		var base uint64
		seen := map[string]map[uint64]int{"flow": {}, "conn": {}, "session": {}}
		for run := range 3 {
			res := runVM(t, config.Default(), capture, workers, base)
			last := res.LastIDs[0]
			ids := map[string][]uint64{}
			for _, r := range res.Batch.Flows {
				ids["flow"] = append(ids["flow"], r.FlowID)
			}
			for _, r := range res.Batch.TCPConnections {
				ids["conn"] = append(ids["conn"], r.ConnID)
			}
			for _, r := range res.Batch.FTPSessions {
				ids["session"] = append(ids["session"], r.SessionID)
			}
			for kind, l := range ids {
				if len(l) == 0 {
					t.Fatalf("workers %d run %d: no %s ids (the capture has flows, TCP connections, an FTP session)", workers, run, kind)
				}
				lo := l[0]
				for _, id := range l {
					lo = min(lo, id)
					if id <= base || id > last {
						t.Errorf("workers %d run %d: %s id %d outside (IDBase %d, LastID %d]", workers, run, kind, id, base, last)
					}
					if r, ok := seen[kind][id]; ok && r != run {
						t.Errorf("workers %d: %s id %d given in run %d and run %d", workers, kind, id, r, run)
					}
					seen[kind][id] = run
				}
				if run == 0 && kind == "flow" && workers == 0 && lo != 1 {
					t.Errorf("first run's first flow id %d, want 1", lo)
				}
			}
			base = last
		}
	}
}
