package ftp

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// labTruth is the part of samples/lab/ftp/ground_truth.json the tests use.
type labTruth struct {
	Sessions []struct {
		Session int    `json:"session"`
		User    string `json:"user"`
		Control map[string]struct {
			Src   string `json:"src"`
			Sport uint16 `json:"sport"`
			Dst   string `json:"dst"`
			Dport uint16 `json:"dport"`
		} `json:"control_connection"`
		Commands []struct {
			Command string `json:"command"`
		} `json:"commands"`
		Transfers []struct {
			Command string `json:"command"`
			Data    map[string]struct {
				Bytes  uint64 `json:"bytes"`
				SynNs  int64  `json:"syn_ts_ns"`
				LastNs int64  `json:"last_ts_ns"`
			} `json:"data_connection"`
		} `json:"transfers"`
	} `json:"sessions"`
}

// TestLabFTP replays the lab captures at the client (A) and at the server
// behind the NAT with its FTP ALG (B) and compares every row with
// ftp_transfers.csv and ground_truth.json (samples/lab/README.md, section
// ftp): 5 sessions, 16 transfers in PASV, EPSV, PORT and EPRT mode, one
// failed RETR (550) whose data connection was opened anyway.
func TestLabFTP(t *testing.T) {
	dir := filepath.Join(samplesDir(t), "lab", "ftp")
	var truth labTruth
	b, err := os.ReadFile(filepath.Join(dir, "ground_truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &truth); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "ftp_transfers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	rows = rows[1:]
	if len(rows) != 16 || len(truth.Sessions) != 5 {
		t.Fatalf("ground truth: %d transfers, %d sessions; want 16 and 5", len(rows), len(truth.Sessions))
	}
	for _, point := range []string{"A", "B"} {
		t.Run(point, func(t *testing.T) {
			res := run(t, filepath.Join(dir, point+".pcap"), DefaultConfig())
			if len(res.sessions) != 5 {
				t.Fatalf("%d sessions, want 5", len(res.sessions))
			}
			// Sessions by control connection, in the order of the truth.
			byCtl := map[string]observe.FTPSession{}
			for _, s := range res.sessions {
				byCtl[joinHostPort(s.ClientAddr, s.ClientPort)] = s
			}
			ids := map[uint64]int{} // session ID -> truth session number
			for _, ts := range truth.Sessions {
				c := ts.Control[point]
				s, ok := byCtl[joinHostPort(c.Src, c.Sport)]
				if !ok {
					t.Fatalf("session %d (%s:%d) not found", ts.Session, c.Src, c.Sport)
				}
				ids[s.SessionID] = ts.Session
				if s.ServerAddr != c.Dst || s.ServerPort != c.Dport || s.User != ts.User || !s.LoggedIn || !s.SawStart ||
					s.Commands != uint64(len(ts.Commands)) || s.Transfers != uint64(len(ts.Transfers)) || s.LastReply != 221 {
					t.Errorf("session %d: %+v; want user %q, %d commands, %d transfers", ts.Session, s, ts.User,
						len(ts.Commands), len(ts.Transfers))
				}
				var down, up uint64
				for _, x := range ts.Transfers {
					if x.Command == "STOR" {
						up += x.Data[point].Bytes
					} else {
						down += x.Data[point].Bytes
					}
				}
				if s.BytesDown != down || s.BytesUp != up {
					t.Errorf("session %d: bytes down %d up %d, want %d %d", ts.Session, s.BytesDown, s.BytesUp, down, up)
				}
			}
			if len(res.transfers) != len(rows) {
				for _, g := range res.transfers {
					t.Logf("got %+v", short(g))
				}
				t.Fatalf("%d transfers, want %d", len(res.transfers), len(rows))
			}
			// Transfers come out in command order within each session,
			// and the lab's sessions follow each other.
			next := map[int]int{} // truth session -> index of its next transfer
			for i, row := range rows {
				g := res.transfers[i]
				sess, _ := strconv.Atoi(row[col["session"]])
				if ids[g.SessionID] != sess {
					t.Errorf("row %d: session %d, want %d", i, ids[g.SessionID], sess)
				}
				bytes, _ := strconv.ParseUint(row[col["bytes"]], 10, 64)
				reply, _ := strconv.ParseUint(row[col["final_reply"]], 10, 16)
				src, dst, _ := strings.Cut(row[col[point+"_data_conn"]], ">")
				want := xfer{
					Command: row[col["command"]], File: row[col["file_name"]], Direction: row[col["direction"]],
					Mode: row[col["data_mode"]], ModeCmd: row[col["mode_command"]], Bytes: bytes,
					Status: row[col["status"]], Reply: uint16(reply), Src: src, Dst: dst,
				}
				if got := short(g); got != want {
					t.Errorf("row %d:\n got  %+v\n want %+v", i, got, want)
				}
				// Start: the data connection's SYN at this point.
				tx := truth.Sessions[sess-1].Transfers[next[sess]]
				next[sess]++
				dc := tx.Data[point]
				if g.StartTime != dc.SynNs || g.EndTime < dc.LastNs || g.Bytes != dc.Bytes {
					t.Errorf("row %d: start %d end %d bytes %d, want start %d, end >= %d, bytes %d",
						i, g.StartTime, g.EndTime, g.Bytes, dc.SynNs, dc.LastNs, dc.Bytes)
				}
			}
			// Every packet of every data connection counts as FTP:
			// tshark -r A.pcap -Y 'tcp && !(tcp.port == 21)' | wc -l -> 7516 (B: 7597);
			// the captures hold nothing else.
			wantData := map[string]int{"A": 7516, "B": 7597}[point]
			if len(res.dataFTP) != wantData {
				t.Errorf("%d data packets counted as FTP, want %d", len(res.dataFTP), wantData)
			}
			if res.stats.AddrMismatch != 0 || res.stats.DataConns != 16 || res.stats.UnboundData != 0 ||
				res.stats.Holes != 0 || res.stats.BadLines != 0 || res.stats.UnpairedReplies != 0 {
				t.Errorf("stats %+v", res.stats)
			}
		})
	}
}
