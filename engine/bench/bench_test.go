package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/testsamples"
	"github.com/tmonbench/tmonbench/replay"
)

// TestRun runs the benchmark on a small lab capture (tcp-mix at A: 6436
// packets, `tcpdump -r testdata/lab/tcp-mix/A.pcap | wc -l`) with stages
// and two pairs, and checks what it reports, never how fast.
func TestRun(t *testing.T) {
	path := testsamples.Path(t, "lab", "tcp-mix", "A.pcap")
	for _, preload := range []bool{false, true} {
		r, err := runOn(t, path, Options{Repeat: 2, Stages: true, Preload: preload})
		if err != nil {
			t.Fatal(err)
		}
		if r.Packets != 6436 || len(r.Full) != 2 || len(r.Floor) != 2 || len(r.Ratios) != 2 {
			t.Fatalf("packets %d, runs %d/%d, ratios %d", r.Packets, len(r.Floor), len(r.Full), len(r.Ratios))
		}
		if r.Tables["flows"].Rows == 0 || r.Tables["tcp_connections"].Rows == 0 || r.PDUs == 0 {
			t.Errorf("tables %v, PDUs %d", r.Tables, r.PDUs)
		}
		if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "6436 packets") || !strings.Contains(r.Warnings[0], "under 100000 packets or 0.5 s") {
			t.Errorf("warnings for a small capture: %q", r.Warnings)
		}
		if r.Full[0].WallNs <= 0 || r.Full[0].PeakRSSBytes <= 0 {
			t.Errorf("measure %+v", r.Full[0])
		}
		// Linux (the house's only platform, .ci/run): the executable's
		// pages are resident and part of the peak.
		if m := r.Full[0]; m.FileRSSBytes <= 0 || m.FileRSSBytes >= m.PeakRSSBytes {
			t.Errorf("file-backed RSS %d bytes, peak %d: want 0 < file < peak", m.FileRSSBytes, m.PeakRSSBytes)
		}
		var text bytes.Buffer
		r.WriteText(&text)
		for _, want := range []string{"floor (decode only)", "full pipeline", "ratio full/floor", "rows per table", "flow_counters", "MiB mapped from files"} {
			if !strings.Contains(text.String(), want) {
				t.Errorf("text report lacks %q:\n%s", want, text.String())
			}
		}
		var js bytes.Buffer
		if err := r.WriteJSON(&js); err != nil {
			t.Fatal(err)
		}
		var back map[string]any
		if err := json.Unmarshal(js.Bytes(), &back); err != nil || back["packets"] != float64(6436) {
			t.Errorf("json: %v %v", err, back["packets"])
		}
	}
}

// TestFloorCounts: the floor decodes what tshark counts in the capture
// (`tshark -r testdata/lab/tcp-mix/A.pcap -Y tcp | wc -l` = 6436: every
// packet is TCP over IPv4).
func TestFloorCounts(t *testing.T) {
	path := testsamples.Path(t, "lab", "tcp-mix", "A.pcap")
	r, err := runOn(t, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.WireBytes == 0 || r.CapturedBytes == 0 {
		t.Errorf("bytes: wire %d captured %d", r.WireBytes, r.CapturedBytes)
	}
}

// TestAttributeRules: stacks are charged to the deepest stage that may
// refine the one above it.
func TestAttributeRules(t *testing.T) {
	cases := []struct {
		stack []string // root first
		want  string
	}{
		{[]string{mod2("engine/probe.(*Probe).Packet"), mod2("engine/probe.(*Probe).account"), mod2("engine/flow.(*Table).Lookup"), "runtime.mapaccess1"}, StageFlowTable},
		{[]string{mod2("engine/pipeline.startWorker.func1"), mod2("engine/collector.(*Collector).Handle"), mod2("engine/rtt.DecodeSample")}, StageDecode},
		{[]string{mod2("engine/pipeline.(*run).drainIfDue"), mod2("engine/collector.(*Collector).Drain"), mod2("engine/collector.(*Collector).take")}, StageRows},
		{[]string{mod2("engine/pipeline.(*run).drainIfDue"), mod2("engine/pipeline.(*run).sink"), mod2("engine/store.(*Run).Write"), "github.com/parquet-go/parquet-go.(*Writer).Write"}, StageParquet},
		// the rows staged for the snapshots (drainIfDue's Append): the rule named drainTo, a function
		// the pipeline never had (TestRuleNamesExist), and this time went to "other"
		{[]string{mod2("engine/pipeline.(*run).feed"), mod2("engine/pipeline.(*run).drainIfDue"), mod2("engine/observe.(*Batch).Append")}, StageRows},
		{[]string{mod2("engine/probe.(*Probe).report"), mod2("engine/pdu.(*Sender).End"), "runtime.mallocgc", "runtime.gcAssistAlloc"}, StageGC},
		{[]string{mod2("engine/probe.(*Loop).Run"), mod2("replay.(*Merged).Next"), "syscall.read"}, StageRead},
		{[]string{mod2("engine/probe.(*Probe).account"), mod2("engine/tcpconn.(*Tracker).Packet")}, StageTCP},
		{[]string{mod2("engine/probe.(*Probe).tcpConnection"), mod2("engine/tcpconn.AppendConn")}, StagePDUEncode},
	}
	for _, c := range cases {
		if got := stageOf(c.stack); got != c.want {
			t.Errorf("%v: %s, want %s", c.stack, got, c.want)
		}
	}
}

func mod2(s string) string { return "github.com/tmonbench/tmonbench/" + s }

// runOn runs the benchmark over the capture at path with o (the command's
// capture reader and workload: withReplay; a test's temporary folder
// unless o names one).
func runOn(t *testing.T, path string, o Options) (*Report, error) {
	t.Helper()
	o.Paths = []string{path}
	if o.TempDir == "" {
		o.TempDir = t.TempDir()
	}
	return Run(context.Background(), withReplay(o))
}

// withReplay sets the capture reader the command passes (replay's) and a
// workload of one probe per capture, one interface per file interface
// (the command's is replay's whole: cmd/tmonbench TestBenchRowsAreReplays).
func withReplay(o Options) Options {
	o.Open = func(path string, data []byte) (pkt.Source, error) {
		if data != nil {
			return replay.NewReader(bytes.NewReader(data), path, int64(len(data)))
		}
		return replay.Open(path)
	}
	o.Merge = func(s ...pkt.Source) pipeline.Merged { return replay.Merge(s...) }
	o.Workload = func(data [][]byte) (*Workload, error) {
		caps, err := pipeline.Captures(o.Paths, nil)
		if err != nil {
			return nil, err
		}
		for i := range caps {
			ifs, err := replay.ScanInterfaces(caps[i].Path)
			if err != nil {
				return nil, err
			}
			for _, it := range ifs {
				caps[i].Ifaces = append(caps[i].Ifaces, it.Name)
			}
		}
		wl := &Workload{}
		var routes []pipeline.Input
		wl.Probes, routes, err = pipeline.Assign(caps)
		if err != nil {
			return nil, err
		}
		var srcs []pkt.Source
		wl.Close = func() {
			for _, s := range srcs {
				s.Close()
			}
		}
		for i, c := range caps {
			var d []byte
			if data != nil {
				d = data[i]
			}
			src, err := o.Open(c.Path, d)
			if err != nil {
				wl.Close()
				return nil, err
			}
			srcs = append(srcs, src)
			routes[i].Source = src
			wl.Inputs = append(wl.Inputs, routes[i])
		}
		return wl, nil
	}
	return o
}

// TestWallCoversOpening: a full run's wall time covers opening its
// captures (Options.Workload: a pcapng of 20 k interfaces took 4.3 s to
// open, left out of the wall time), as the floor's covers its reader's. A
// fake clock: opening the workload takes 10 s of it, so the full run's
// wall time is at least 10 s and the floor's is not.
func TestWallCoversOpening(t *testing.T) {
	var fakeNs int64
	now = func() time.Time { return time.Now().Add(time.Duration(fakeNs)) }
	defer func() { now = time.Now }()
	o := withReplay(Options{Paths: []string{testsamples.Path(t, "lab", "tcp-mix", "A.pcap")}, TempDir: t.TempDir(), Stages: false})
	open := o.Workload
	o.Workload = func(data [][]byte) (*Workload, error) {
		fakeNs += 10e9
		return open(data)
	}
	r, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Full[0].WallNs < 10e9 || r.Floor[0].WallNs >= 10e9 {
		t.Errorf("wall ns: full %d (want >= 10 s: opening the workload in it), floor %d", r.Full[0].WallNs, r.Floor[0].WallNs)
	}
}

// TestMemoryLimitPreload: preloaded captures are not the runs' memory.
// On Linux preload puts them outside the Go heap, so the collector
// neither counts nor paces by them (in the heap, the 5M corpus's 2.9 GiB
// made the guard lift the 156 MiB limit at once; kept and raised by the
// preload, the full run's collector ran 329 cycles instead of 12); a
// copy in the heap (other systems, Linux's fallbacks) raises the limit by
// its size, and the guard lifts it only when the live heap beyond it
// outgrows LiftAt of the runs' own.
func TestMemoryLimitPreload(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)
	held := make([]byte, 64<<20) // preloaded captures in the heap
	for i := range held {
		held[i] = byte(i)
	}
	runtime.GC()
	done := guardLimit(32<<20, int64(len(held)))
	if raised := done(); raised != 0 {
		t.Errorf("raised to %d with %d MiB preloaded against a 32 MiB limit of the runs' own", raised, len(held)>>20)
	}
	if got := debug.SetMemoryLimit(-1); got != 32<<20+int64(len(held)) {
		t.Errorf("limit after the run %d, want %d", got, 32<<20+len(held))
	}
	runtime.KeepAlive(held)
	held = nil

	path := filepath.Join(t.TempDir(), "big.pcap")
	want := bytes.Repeat([]byte("tmonbench"), 8<<20) // 72 MiB
	if err := os.WriteFile(path, want, 0o644); err != nil {
		t.Fatal(err)
	}
	live := func() uint64 {
		runtime.GC()
		s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	before := live()
	data, release, inHeap, err := preload(path)
	if err != nil {
		t.Fatal(err)
	}
	grew := int64(live()) - int64(before)
	if !bytes.Equal(data, want) {
		t.Errorf("preloaded %d bytes, not the file's %d", len(data), len(want))
	}
	if runtime.GOOS == "linux" && (inHeap || grew > 8<<20) {
		t.Errorf("preload of %d MiB: in the heap %v, live heap grew %d bytes", len(want)>>20, inHeap, grew)
	}
	release()

	r, err := runOn(t, testsamples.Path(t, "lab", "tcp-mix", "A.pcap"), Options{MemoryLimit: 64 << 20, Preload: true})
	if err != nil {
		t.Fatal(err)
	}
	wantLimit := "64MiB"
	if runtime.GOOS != "linux" {
		wantLimit = fmt.Sprintf("64MiB + %dMiB preloaded", r.PreloadBytes>>20)
	}
	if r.GOMEMLIMIT != wantLimit || r.PreloadBytes == 0 || r.Full[0].LimitRaisedTo != 0 || r.Packets != 6436 {
		t.Errorf("GOMEMLIMIT %q (want %q), preloaded %d bytes, raised to %d, %d packets (want 6436)", r.GOMEMLIMIT, wantLimit, r.PreloadBytes, r.Full[0].LimitRaisedTo, r.Packets)
	}
}

// TestMemoryLimitRaised: a run whose live heap outgrows LiftAt of the
// memory limit has it raised (reported in the Measure and the text), and
// the limit is set again after the run; a run under it keeps it.
func TestMemoryLimitRaised(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)
	path := testsamples.Path(t, "lab", "tcp-mix", "A.pcap")
	for _, c := range []struct {
		limit int64
		lift  bool
	}{{1 << 20, true}, {1 << 40, false}} { // 1 MiB: any run's live heap outgrows it
		r, err := runOn(t, path, Options{MemoryLimit: c.limit})
		if err != nil {
			t.Fatal(err)
		}
		if (r.Full[0].LimitRaisedTo > c.limit) != c.lift || r.GOMEMLIMIT != fmt.Sprintf("%dMiB", c.limit>>20) {
			t.Errorf("limit %d: raised to %d, GOMEMLIMIT %s", c.limit, r.Full[0].LimitRaisedTo, r.GOMEMLIMIT)
		}
		var out bytes.Buffer
		r.WriteText(&out)
		if strings.Contains(out.String(), "raised in 1 of 1") != c.lift {
			t.Errorf("limit %d: text\n%s", c.limit, out.String())
		}
	}
	if got := debug.SetMemoryLimit(-1); got != old {
		t.Errorf("limit after the runs %d, want %d back", got, old)
	}
}

// TestMemoryLimitFollowsLiveHeap: a live heap of 64 MiB against a 32 MiB
// limit raises the limit to RaiseTo times the live heap (80 MiB and the
// test binary's own few MiB), not to no limit at all, as bench did until
// 2026-12-07 (a run then grew to GOGC's twice its live heap: 267-289
// MiB for `--workers 2` on the 5M corpus).
func TestMemoryLimitFollowsLiveHeap(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)
	held := make([]byte, 64<<20)
	for i := range held {
		held[i] = byte(i)
	}
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	live := s[0].Value.Uint64()
	got := guardLimit(32<<20, 0)()
	lo, hi := int64(float64(64<<20)*RaiseTo), int64(float64(live+8<<20)*RaiseTo)
	if got < lo || got > hi {
		t.Errorf("limit raised to %d MiB, want %d-%d MiB (RaiseTo %.2f times the live heap of %d MiB)", got>>20, lo>>20, hi>>20, RaiseTo, live>>20)
	}
	if after := debug.SetMemoryLimit(-1); after != 32<<20 {
		t.Errorf("limit after the run %d, want %d", after, 32<<20)
	}
	runtime.KeepAlive(held)
}
