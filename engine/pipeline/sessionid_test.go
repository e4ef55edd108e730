package pipeline_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/replay"
)

// TestFTPSessionIDsDistinctAcrossClasses: each class with ftp numbered
// its sessions from the same base, so the ftp_sessions rows of two
// classes shared session_ids (1-5 twice on lab/ftp/A.pcap), where
// docs/tables.md says session_id is probe-unique, and an ftp_transfers
// row's session_id named two session rows. The classes now share one
// counter, as the classes with tcp do for conn_ids (TestConnIDsDistinctAcrossClasses).
// lab/ftp/A.pcap: 5 sessions (`tshark -Y ftp.request.command==USER`: 5)
// and 16 transfers (ftp_transfers.csv, the lab's ground truth: 4 LIST,
// 1 NLST, 8 RETR, 3 STOR); with two classes that both follow ftp, 10
// session rows with 10 distinct session_ids, 32 transfer rows, each
// session's transfers column equal to the transfer rows naming its id;
// alone and with 1, 2 and 4 workers, which give the same rows.
func TestFTPSessionIDsDistinctAcrossClasses(t *testing.T) {
	cfg, err := config.Parse([]byte(`
classes:
  - name: ftp
    filter: "tcp port 21"
    analyses: [ftp]
  - name: ftp-too
    filter: "port 21"
    analyses: [ftp]
`), "two-ftp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	capture := filepath.Join(samplesDir(t), "lab", "ftp", "A.pcap")
	var first []string
	for _, workers := range []int{0, 1, 2, 4} {
		f, err := replay.Open(capture)
		if err != nil {
			t.Fatal(err)
		}
		res, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: f}}, pipeline.Options{
			Config: cfg, Probes: []probe.Identity{{Name: "vm", Interfaces: []string{"if0"}}},
			Sender: pdu.DefaultSenderConfig(), Merge: merge, Parallel: true, Workers: workers,
		})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		b := res.Batch
		sessions := map[uint64]uint64{} // session_id: its transfers column
		var rows []string
		for _, s := range b.FTPSessions {
			if _, ok := sessions[s.SessionID]; ok {
				t.Errorf("workers %d: session_id %d in two ftp_sessions rows", workers, s.SessionID)
			}
			sessions[s.SessionID] = s.Transfers
			rows = append(rows, fmt.Sprintf("%+v", s))
		}
		named := map[uint64]uint64{}
		for _, x := range b.FTPTransfers {
			named[x.SessionID]++
			rows = append(rows, fmt.Sprintf("%+v", x))
		}
		if len(b.FTPSessions) != 10 || len(sessions) != 10 || len(b.FTPTransfers) != 32 {
			t.Errorf("workers %d: %d session rows, %d session_ids, %d transfer rows, want 10, 10, 32", workers, len(b.FTPSessions), len(sessions), len(b.FTPTransfers))
		}
		for id, n := range named {
			if sessions[id] != n {
				t.Errorf("workers %d: %d transfer rows name session_id %d, whose row says %d transfers", workers, n, id, sessions[id])
			}
		}
		slices.Sort(rows)
		if workers == 0 {
			continue // a lone probe numbers in order of creation, workers by capture ordinal (probe.shard setIDs)
		}
		if first == nil {
			first = rows
		} else if !slices.Equal(rows, first) {
			t.Errorf("workers %d: ftp rows differ from 1 worker's", workers)
		}
	}
}
