package pipeline_test

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
)

// The lab captures (../shared/samples/lab, README there) were made by real
// servers with the truth beside them. These tests run them through the
// whole pipeline with the embedded default config: probe, PDUs, collector.

// TestLabFTPTransfers: every FTP transfer of ftp_transfers.csv, at the
// client side (A) and behind the NAT (B), with command, file name,
// direction, data mode, bytes and status exact (issue 4, "Done when").
func TestLabFTPTransfers(t *testing.T) {
	dir := filepath.Join(samplesDir(t), "lab", "ftp")
	f, err := os.Open(filepath.Join(dir, "ftp_transfers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	truth, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	truth = truth[1:] // session,command,file_name,direction,data_mode,mode_command,bytes,status,...
	for _, point := range []string{"A", "B"} {
		t.Run(point, func(t *testing.T) {
			res := replayFiles(t, config.Default(), nil, filepath.Join(dir, point+".pcap"))
			got := res.Batch.FTPTransfers
			if len(got) != len(truth) {
				t.Fatalf("%d transfers, ground truth %d", len(got), len(truth))
			}
			for i, w := range truth {
				g := got[i]
				bytes, _ := strconv.ParseUint(w[6], 10, 64)
				if g.Command != w[1] || g.FileName != w[2] || g.Direction != w[3] || g.DataMode != w[4] || g.ModeCommand != w[5] || g.Bytes != bytes || g.Status != w[7] {
					t.Errorf("transfer %d: %s %q %s %s %s %d %s; truth %v", i+1, g.Command, g.FileName, g.Direction, g.DataMode, g.ModeCommand, g.Bytes, g.Status, w[:8])
				}
			}
			if len(res.Batch.FTPSessions) != 5 {
				t.Errorf("%d sessions, want 5", len(res.Batch.FTPSessions))
			}
			// class: the default config's one class with ftp (its
			// classes: "ftp", filter tcp port 21) on every row
			var ftpClasses []string
			for _, c := range config.Default().Classes {
				if c.Has(config.AnalysisFTP) {
					ftpClasses = append(ftpClasses, c.Name)
				}
			}
			if len(ftpClasses) != 1 || ftpClasses[0] != "ftp" {
				t.Fatalf("default config's classes with ftp %q, want [ftp]", ftpClasses)
			}
			for i, s := range res.Batch.FTPSessions {
				if s.Class != "ftp" {
					t.Errorf("session %d (session_id %d): class %q, want ftp", i, s.SessionID, s.Class)
				}
			}
			for i, x := range got {
				if x.Class != "ftp" {
					t.Errorf("transfer %d (session_id %d): class %q, want ftp", i+1, x.SessionID, x.Class)
				}
			}
			// Data connections count as FTP: every TCP packet of the capture
			// (control and data) is in class ftp (tshark -Y tcp: 7799 at A).
			var ftpPackets, allTCP uint64
			for _, fl := range res.Batch.Flows {
				if fl.Class == "ftp" {
					ftpPackets += fl.Packets
				}
				if fl.Class == "all" && fl.Protocol == 6 {
					allTCP += fl.Packets
				}
			}
			if ftpPackets != allTCP || (point == "A" && ftpPackets != 7799) {
				t.Errorf("class ftp %d packets, TCP %d (tshark at A: 7799)", ftpPackets, allTCP)
			}
		})
	}
}

// TestLabRoundTrips: the number of round-trip samples per kind equals
// tshark's pairs (summary.json per_point.<probe>.<kind>.pairs_tshark); at RS
// and B the tracker also times the first copy of a retransmitted SNMP
// request whose response tshark leaves unpaired (responses_not_paired_by_tshark);
// unanswered requests are counted per flow as rtt_unanswered_<kind>.
func TestLabRoundTrips(t *testing.T) {
	dir := filepath.Join(samplesDir(t), "lab", "dns-snmp-ntp")
	var summary struct {
		PerPoint map[string]map[string]json.RawMessage `json:"per_point"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &summary); err != nil {
		t.Fatal(err)
	}
	// rttOnly: a class that leaves counters out of its analyses still
	// has the rtt analysis's unanswered counts in flow_counters, and no
	// other metric (a review: they were dropped with the counters).
	rttOnly, err := config.Parse([]byte("classes:\n  - name: all\n    analyses: [rtt]\n"), "rtt-only.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range []struct {
		point string
		cfg   *config.Config
	}{{"A", config.Default()}, {"B", config.Default()}, {"A-rtt-only", rttOnly}} {
		point := run.point[:1]
		t.Run(run.point, func(t *testing.T) {
			res := replayFiles(t, run.cfg, nil, filepath.Join(dir, point+".pcap"))
			samples := map[string]int{}
			for _, s := range res.Batch.RTTSamples {
				samples[s.Kind]++
			}
			unanswered := map[string]uint64{}
			for _, c := range res.Batch.FlowCounters {
				switch c.Metric {
				case "rtt_unanswered_dns", "rtt_unanswered_snmp", "rtt_unanswered_ntp":
					unanswered[c.Metric[len("rtt_unanswered_"):]] += c.N
				default:
					if run.cfg == rttOnly {
						t.Errorf("class all without counters: a %s row", c.Metric)
					}
				}
			}
			for _, kind := range []string{"dns", "snmp", "ntp"} {
				var want struct {
					Pairs      int    `json:"pairs_tshark"`
					Unanswered uint64 `json:"unanswered_tshark"`
					NotPaired  int    `json:"responses_not_paired_by_tshark"`
				}
				if err := json.Unmarshal(summary.PerPoint[point][kind], &want); err != nil {
					t.Fatal(err)
				}
				if samples[kind] != want.Pairs+want.NotPaired || unanswered[kind] != want.Unanswered {
					t.Errorf("%s: %d samples, %d unanswered; tshark %d pairs (+%d unpaired responses), %d unanswered",
						kind, samples[kind], unanswered[kind], want.Pairs, want.NotPaired, want.Unanswered)
				}
			}
			if len(res.Batch.RTTHistograms) == 0 {
				t.Error("no rtt_histograms rows")
			}
		})
	}
}

// TestLabTCPConnections: every connection of tcp-mix at A with its
// endpoints and payload bytes as ground_truth.json says.
func TestLabTCPConnections(t *testing.T) {
	dir := filepath.Join(samplesDir(t), "lab", "tcp-mix")
	var truth struct {
		Connections []struct {
			At map[string]struct {
				Client             string `json:"client"`
				ClientPayloadBytes uint64 `json:"client_payload_bytes"`
				ServerPayloadBytes uint64 `json:"server_payload_bytes"`
			} `json:"at"`
		} `json:"connections"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "ground_truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &truth); err != nil {
		t.Fatal(err)
	}
	res := replayFiles(t, config.Default(), nil, filepath.Join(dir, "A.pcap"))
	got := map[string][2]uint64{}
	for _, c := range res.Batch.TCPConnections {
		got[c.ClientAddr+":"+strconv.Itoa(int(c.ClientPort))] = [2]uint64{c.ClientPayloadBytes, c.ServerPayloadBytes}
	}
	if len(got) != len(truth.Connections) {
		t.Errorf("%d connections, ground truth %d", len(got), len(truth.Connections))
	}
	for _, c := range truth.Connections {
		a := c.At["A"]
		if g := got[a.Client]; g != [2]uint64{a.ClientPayloadBytes, a.ServerPayloadBytes} {
			t.Errorf("%s: payload %v, truth %d/%d", a.Client, g, a.ClientPayloadBytes, a.ServerPayloadBytes)
		}
	}
}
