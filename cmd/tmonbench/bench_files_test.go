package main

import (
	"fmt"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestBenchFilesAreReplays: bench's full runs publish their Parquet parts
// by capture time, as replay at full speed does (store.Run.
// PublishByCapture), so they write replay's files: per table the same
// part files, rows and bytes as replay's run.json counts them (the
// store's own count, the same for both), on dns-snmp-ntp's A and B (two
// probes, 20.3 s of capture: a publish at the first drain, then every 5 s
// of capture time at least, so several parts a table). Checked by hand
// once with the bench's folder kept: every part's sha256 is replay's.
// Before, bench published every 5 s of wall time: a run of this capture
// (well under 5 s) cut fewer parts (flow_counters 2 where replay cuts 4),
// and a slower machine more.
func TestBenchFilesAreReplays(t *testing.T) {
	t.Parallel()
	files := []string{testsamples.Path(t, "lab", "dns-snmp-ntp", "A.pcap"), testsamples.Path(t, "lab", "dns-snmp-ntp", "B.pcap")}
	_, replayed, benched := replayAndBench(t, files...)
	if n := replayed["flow_counters"].Files; n < 3 {
		t.Fatalf("scenario too weak: replay wrote %d flow_counters parts, want several", n)
	}
	if fmt.Sprint(benched) != fmt.Sprint(replayed) {
		t.Errorf("part files, rows and bytes per table:\nbench  %v\nreplay %v", benched, replayed)
	}
}
