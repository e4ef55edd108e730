package pipeline_test

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
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
// alone and with 1, 2 and 4 workers, which give the same rows. Each row
// says its class (class column, carried in the FTP PDU records since
// wire version 6): 5 sessions and 16 transfers of class ftp, as many of
// ftp-too, and every transfer of its session's class (the class is
// the tracker's, so a transfer named by a session of the other class
// would show the session_ids crossing).
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
		res := runVM(t, cfg, capture, workers, 0)
		b := res.Batch
		sessions := map[uint64]uint64{} // session_id: its transfers column
		classOf := map[uint64]string{}  // session_id: its class
		perClass := map[string][2]int{} // class: sessions, transfers
		var rows []string
		for _, s := range b.FTPSessions {
			if _, ok := sessions[s.SessionID]; ok {
				t.Errorf("workers %d: session_id %d in two ftp_sessions rows", workers, s.SessionID)
			}
			sessions[s.SessionID] = s.Transfers
			classOf[s.SessionID] = s.Class
			n := perClass[s.Class]
			n[0]++
			perClass[s.Class] = n
			rows = append(rows, fmt.Sprintf("%+v", s))
		}
		named := map[uint64]uint64{}
		for _, x := range b.FTPTransfers {
			named[x.SessionID]++
			if x.Class != classOf[x.SessionID] {
				t.Errorf("workers %d: transfer of session_id %d: class %q, its session's %q", workers, x.SessionID, x.Class, classOf[x.SessionID])
			}
			n := perClass[x.Class]
			n[1]++
			perClass[x.Class] = n
			rows = append(rows, fmt.Sprintf("%+v", x))
		}
		if want := map[string][2]int{"ftp": {5, 16}, "ftp-too": {5, 16}}; !maps.Equal(perClass, want) {
			t.Errorf("workers %d: [sessions transfers] by class %v, want %v", workers, perClass, want)
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
