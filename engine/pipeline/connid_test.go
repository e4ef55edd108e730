package pipeline_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/replay"
)

// TestConnIDsDistinctAcrossClasses: each class with tcp numbered its
// connections from the same base, so tcp_connections rows of two classes
// shared conn_ids (in lab/ftp/A.pcap, the 5 control connections of class
// ftp-control 1-5, and 1-5 again for other connections of class
// other-tcp) where docs/tables.md says conn_id is probe-unique, as a Zeek
// uid is unique in its conn.log. The classes now share one counter: a
// class's row of a connection is one row with its own conn_id, as its
// flow is one flow with its own flow_id. `tshark -r lab/ftp/A.pcap -q -z
// conv,tcp`: 21 conversations, 5 on port 21; class other-tcp (tcp) has
// all 21, ftp-control (tcp port 21) the 5: 26 rows, 26 distinct
// conn_ids, alone and with 2 workers.
func TestConnIDsDistinctAcrossClasses(t *testing.T) {
	cfg, err := config.Parse([]byte(`
classes:
  - name: ftp-control
    filter: "tcp port 21"
    granularity: [src_addr, dst_addr, src_port, dst_port]
    analyses: [tcp]
  - name: other-tcp
    filter: "tcp"
    granularity: [src_addr, dst_addr, src_port, dst_port]
    analyses: [tcp]
`), "two-tcp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	capture := filepath.Join(samplesDir(t), "lab", "ftp", "A.pcap")
	for _, workers := range []int{0, 2} {
		res := runVM(t, cfg, capture, workers, 0)
		ids := map[uint64]string{}
		classes := map[string]int{}
		for _, r := range res.Batch.TCPConnections {
			if was, ok := ids[r.ConnID]; ok {
				t.Errorf("workers %d: conn_id %d in class %s and class %s", workers, r.ConnID, was, r.Class)
			}
			ids[r.ConnID] = r.Class
			classes[r.Class]++
		}
		if len(ids) != 26 || classes["ftp-control"] != 5 || classes["other-tcp"] != 21 {
			t.Errorf("workers %d: %d rows (%v), %d conn_ids, want 26: 5 ftp-control, 21 other-tcp", workers, len(res.Batch.TCPConnections), classes, len(ids))
		}
	}
}

// runVM replays capture as probe "vm" (one interface, if0) with cfg and
// the given workers (0: the lone probe), its ids numbered above base.
func runVM(t *testing.T, cfg *config.Config, capture string, workers int, base uint64) *pipeline.Result {
	t.Helper()
	f, err := replay.Open(capture)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: f}}, pipeline.Options{
		Config: cfg, Probes: []probe.Identity{{Name: "vm", Interfaces: []string{"if0"}, IDBase: base}},
		Sender: pdu.DefaultSenderConfig(), Merge: merge, Parallel: true, Workers: workers,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}
