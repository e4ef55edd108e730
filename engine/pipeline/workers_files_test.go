package pipeline_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/replay"
)

// TestWorkersSameFiles (issue 14: "--workers 1, 2 and 4 give
// byte-identical tables"): a capture replayed by a lone probe and by 1, 2
// and 4 workers (and 2 workers reading the file ahead) writes every
// table's Parquet files with the same bytes (sha256), pdu_stats
// included, on lab captures with fragments, FTP, TCP, one-way traffic
// (ICMP and UDP), DNS/SNMP/NTP round trips, a sample web browsing capture
// and a damaged one (an event held for the start). The output is written
// as a replay writes it (store.Run), its parts cut by capture time, not by
// the wall time (PublishByCapture, every second of capture time or more:
// several parts of each table). Before, the rows were the same
// (TestWorkersSameRows) but the files were not: the workers' run-time
// metric ids were hashes of their names where a lone probe numbered them
// in order of use (pdu_stats' bytes), the workers' summed events of an
// interval close went to the senders after the whole batch (the events'
// PDUs built, so packed, at other times: pdu_stats and the events' split
// into parts), each worker's end of run went straight to the senders
// one worker after the other, and an event given while the workers'
// start was still in flight was held and sent at the start with its later
// time (every PDU of the first batch then built at the end of the run:
// the flow_counters rows split otherwise between drains).
//
// Each capture runs twice: with the default drain of 64 k rows, and with
// the collector drained once it holds 7 rows (pipeline.Options.SinkRows),
// so that drains are cut inside an interval close's records, as on a
// larger capture (the corpus's first 200 k packets). With that cut, the
// web browsing capture's flow_counters files differed for 2 and 4
// workers: the merge replayed the records of one close worker after
// worker where a lone probe interleaves them, and the collector sorts
// rows only within a drain (engine/probe order.go; TestWorkersSameFrames
// compares the frames themselves).
//
// Several probes in one run (a lab experiment's four capture points) are
// left out: their rows are the same, but the interleaving of the probes'
// PDUs at the collector follows the workers' batches, and with it which
// rows a drain holds (docs/speed.md).
func TestWorkersSameFiles(t *testing.T) {
	lab := filepath.Join(samplesDir(t), "lab")
	for _, path := range []string{
		filepath.Join(lab, "frag", "A.pcap"),
		filepath.Join(lab, "ftp", "A.pcap"),
		filepath.Join(lab, "tcp-mix", "A.pcap"),
		filepath.Join(lab, "oneway-udp", "B.pcap"),
		filepath.Join(lab, "oneway-icmp", "B.pcap.gz"),
		filepath.Join(lab, "dns-snmp-ntp", "A.pcap"),
		filepath.Join(samplesDir(t), "pcap", "mixed", "zeek_wikipedia.pcap"),
		filepath.Join(samplesDir(t), "pcap", "malformed", "chrissanders_ppa1e_http-fault-post.pcap"),
	} {
		name := filepath.Base(filepath.Dir(path)) + "/" + filepath.Base(path)
		for _, sinkRows := range []int{0, 7} {
			t.Run(fmt.Sprintf("%s/sink%d", name, sinkRows), func(t *testing.T) {
				want := fileSums(t, path, 0, false, sinkRows)
				if len(want) < 5 {
					t.Fatalf("%d files: %v", len(want), want)
				}
				parts := 0
				for f := range want {
					if strings.HasSuffix(f, "part-00001.parquet") {
						parts++
					}
				}
				if parts == 0 {
					t.Errorf("no table has a second part in %v: publishing by capture time not exercised", want)
				}
				for _, c := range []struct {
					n     int
					ahead bool
				}{{1, false}, {2, false}, {4, false}, {2, true}} {
					got := fileSums(t, path, c.n, c.ahead, sinkRows)
					for f, h := range want {
						if got[f] != h {
							t.Errorf("%d workers (read ahead %v): %s differs from a lone probe's (sha256 %.12s, a lone probe's %.12s)", c.n, c.ahead, f, got[f], h)
						}
					}
					for f := range got {
						if _, ok := want[f]; !ok {
							t.Errorf("%d workers (read ahead %v): %s, which a lone probe does not write", c.n, c.ahead, f)
						}
					}
				}
			})
		}
	}
}

// fileSums replays path as one probe (n workers, 0: none) into a
// store.Run, its collector drained every sinkRows rows (0: the default),
// and returns the sha256 of every Parquet file written, by path in the
// output.
func fileSums(t *testing.T, path string, n int, readAhead bool, sinkRows int) map[string]string {
	t.Helper()
	f, err := replay.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := filepath.Join(t.TempDir(), "out")
	run, err := store.BeginRun(out, store.Manifest{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Abort()
	run.PublishByCapture, run.PublishEvery = true, time.Second // parts cut by capture time, whatever the wall time (as replay's at full speed)
	cfg := config.Default()
	cfg.IntervalS = 1
	_, err = pipeline.Run(context.Background(), []pipeline.Input{{Source: f}}, pipeline.Options{
		Config: cfg, Probes: []probe.Identity{{Name: "p", Interfaces: []string{"if0"}}}, Sender: pdu.DefaultSenderConfig(),
		Merge: merge, Parallel: true, Workers: n, ReadAhead: readAhead, Sink: run, SinkRows: sinkRows,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Finish(); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	err = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".parquet") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		rel, _ := filepath.Rel(out, p)
		files[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(slices.Collect(maps.Keys(files)), func(k string) bool { return strings.HasPrefix(k, "pdu_stats") }) {
		t.Fatalf("no pdu_stats file in %v", files)
	}
	return files
}
