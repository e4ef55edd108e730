package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/internal/syncio"
)

// Options configure a benchmark.
type Options struct {
	Config *config.Config
	// Paths are the capture files: the floor reads each; the full runs
	// read them through Workload, as replay does (its probes).
	Paths []string
	// Workers is the number of analysis workers per probe
	// (pipeline.Options.Workers): 0 runs each probe in the reader's
	// goroutine.
	Workers int
	// Preload reads the captures into memory first, so neither run reads
	// the disk (or the page cache through read system calls).
	Preload bool
	// NoReadAhead reads the captures in the probes' goroutine instead of
	// ahead of them in goroutines of their own (pipeline.Options.ReadAhead,
	// which replay uses with 3 cores or more).
	NoReadAhead bool
	// Repeat is the number of floor/full pairs (A B A B ...); default 1.
	Repeat int
	// Warmup runs one more pair first and leaves it out of the figures.
	Warmup bool
	// Stages profiles the full runs and charges their CPU time to stages.
	Stages bool
	// ProfilePath, when set, receives the CPU profile of the last full run
	// (go tool pprof); Stages must be on.
	ProfilePath string
	// HeapProfilePath, when set, receives a heap profile taken when the
	// live heap of the last full run was largest (checked every 50 ms).
	HeapProfilePath string
	// SteadyProfilePath, when set, receives the allocations of the last
	// full run's steady state (Measure.SteadyAllocsPerPacket's window),
	// every one recorded (runtime.MemProfileRate 1 for that run), as a
	// pprof profile (go tool pprof -sample_index=alloc_objects).
	SteadyProfilePath string
	// MemoryLimit, when positive, is set as the Go runtime's soft memory
	// limit for the runs (debug.SetMemoryLimit, as GOMEMLIMIT): the
	// collector works harder as the heap nears it, which the GC stage
	// shows. A full run whose live heap outgrows LiftAt of it has the
	// limit raised to RaiseTo times its live heap (Measure.LimitRaisedTo),
	// and again each time the live heap outgrows LiftAt of the new one:
	// past that point the collector would run ever more often for the
	// same heap (thrashing), while lifting the limit altogether would let
	// the heap grow to GOGC's twice the live heap. 0 leaves the runtime's
	// setting. The command's default is DefaultMemoryLimit.
	MemoryLimit int64
	// TempDir is where the full runs write their Parquet (a temporary
	// folder inside it, removed afterwards); "" is os.TempDir().
	TempDir string
	// Progress, when set, is told which run starts ("floor 1/3", ...).
	Progress func(what string)
	// Open opens a capture, from its path or from its preloaded bytes when
	// data is not nil, to check that the captures hold a packet before any
	// run. Engines do not import replay/: the command passes replay's
	// reader (replay.Open, replay.NewReader).
	Open func(path string, data []byte) (pkt.Source, error)
	// Workload opens the captures for one full run as replay opens them
	// (the command passes replay's steps: each pcapng's interfaces scanned,
	// so a multi-interface file is as many interfaces of its probe, the
	// probes assigned, the packet index noted), so that a full run is
	// replay's workload and writes replay's rows; data[i] is Paths[i]'s
	// preloaded bytes (nil without Preload). It is called inside the run's
	// measured span: the full run's wall time covers opening the captures,
	// as the floor's covers its reader's opening (the file header and a
	// pcapng's interface blocks up to the first packet).
	Workload func(data [][]byte) (*Workload, error)
	// Merge reads several captures of one interface in capture-time order
	// (replay.Merge).
	Merge func(...pkt.Source) pipeline.Merged

	floorPackets uint64 // the packets the floor just read: the full run's total (SteadyProfilePath's window)
}

// Workload is a full run's inputs, opened as replay opens them.
type Workload struct {
	// Probes and Inputs are pipeline.Run's (Options.Probes, inputs).
	Probes []probe.Identity
	Inputs []pipeline.Input
	// Events, when set, is pipeline.Options.Finish: replay's events about
	// its inputs (pcapng blocks skipped, records without a time, ...).
	Events func(*pipeline.Result) []observe.Event
	// Write, when set, writes replay's own tables (the packet index) into
	// the run before it is finished.
	Write func(*store.Run) error
	// Close closes the captures.
	Close func()
}

// DefaultMemoryLimit is the soft memory limit the bench command sets
// unless told otherwise (--memory-limit, GOMEMLIMIT), chosen from runs of
// the 5M corpus (197 k flows, largest live heap 116-121 MiB; 3 pairs each,
// issue 14): GOGC 100 alone peaked at 244 MiB RSS (GC 31 ns/packet by the
// profile), GOGC 75 at 214, GOGC 50 at 206 (GC 57 ns/packet); GOGC 100
// with a 160 MiB limit at 194-204 MiB (GC 41 ns/packet), with 150 MiB at
// 186 (GC 57 ns/packet). About 45 MiB of the RSS is the binary itself
// (tmonbench --help peaks at 45 MiB), the rest follows the limit.
const DefaultMemoryLimit = 156 << 20

// LiftAt is the share of the memory limit the live heap may reach before
// the limit is raised (see Options.MemoryLimit, RaiseTo):
// below it the collector has at least 10 % of the limit to allocate into
// between cycles. At 80 % of 160 MiB one run in three of the 5M corpus
// was lifted (its live heap peaks vary with how far the collector lags);
// at 85 % of 156 MiB, on a faster machine (2026-12-05), 3 of 3 runs and
// then 1 of 3 (peak RSS 253 MiB lifted, 193-200 not); at 90 %, none of 6
// (196-200 MiB), GC 17 ns/packet against 14 by the runtime's estimate,
// the wall ratio within the runs' noise.
const LiftAt = 0.90

// RaiseTo is the memory limit a run whose live heap outgrew LiftAt of
// its limit gets, as a multiple of its live heap: the collector keeps a
// quarter of the live heap to allocate into between cycles. Until
// 2026-12-07 the limit was lifted altogether, and such runs ran at GOGC
// alone: `bench --workers 2` on the 5M corpus, its live heap 145 MiB at
// the end of the run, then peaked at 267-289 MiB in 9 runs of 9
// (docs/speed.md, Memory).
const RaiseTo = 1.25

// Measure is one run's cost: wall and CPU time (whole process, every
// goroutine), allocations, garbage-collector CPU and peak resident memory.
type Measure struct {
	WallNs     int64  `json:"wall_ns"`
	UserNs     int64  `json:"user_ns"`
	SysNs      int64  `json:"sys_ns"`
	Allocs     uint64 `json:"allocs"`
	AllocBytes uint64 `json:"alloc_bytes"`
	GCCPUNs    int64  `json:"gc_cpu_ns"`
	GCCycles   uint64 `json:"gc_cycles"`
	// PeakRSSBytes is the process' peak resident memory during the run
	// (VmHWM), preloaded captures included.
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
	// PeakRSSLessPreloadBytes is PeakRSSBytes less Report.PreloadBytes
	// (the preloaded captures, every page of them resident before the
	// runs): the run's own, which the text report prints.
	PeakRSSLessPreloadBytes int64 `json:"peak_rss_less_preload_bytes"`
	// FileRSSBytes is the part of the resident memory mapped from files
	// at the run's end (RssFile of /proc/self/status; 0 where it is
	// missing): the executable's code and read-only data the process has
	// touched, about 40 MiB of every run's peak on Linux, shared with
	// the page cache rather than allocated by the run.
	FileRSSBytes int64 `json:"file_rss_bytes"`
	// SteadyAllocsPerPacket is the allocation rate between 20 % and 80 %
	// of the packets (full runs only): the per-packet path's share. Nil
	// (JSON null) when the capture has too few packets for a steady state
	// (the counter is sampled every steadyEvery packets).
	SteadyAllocsPerPacket *float64 `json:"steady_allocs_per_packet"`
	// LimitRaisedTo is the highest memory limit of the run in bytes
	// (less preload) when its live heap outgrew LiftAt of the limit, which
	// was then raised to RaiseTo times the live heap (as often as needed);
	// 0 when it was never raised.
	LimitRaisedTo int64 `json:"memory_limit_raised_to_bytes"`
}

// CPUNs returns user + system CPU time.
func (m Measure) CPUNs() int64 { return m.UserNs + m.SysNs }

// Report is what a benchmark measured.
type Report struct {
	Paths     []string `json:"paths"`
	Workers   int      `json:"workers"`
	Preload   bool     `json:"preload"`
	ReadAhead bool     `json:"read_ahead"`
	// PreloadBytes is the size of the preloaded captures (Preload).
	PreloadBytes int64 `json:"preload_bytes"`
	// GOGC is the runtime's GC percent as the text report prints it:
	// "100", "off" (gcPercent).
	GOGC string `json:"-"`
	// GOGCPercent is the runtime's GC percent (the GOGC variable as the
	// runtime read it, or debug.SetGCPercent's): 100 by default; nil (JSON
	// null) when the collector is off (GOGC=off, or negative).
	GOGCPercent *int `json:"gogc"`
	// GOMEMLIMIT is the memory limit as the text report prints it
	// ("156MiB", "off", the GOMEMLIMIT variable as given).
	GOMEMLIMIT string `json:"-"`
	// GOMEMLIMITBytes is the runs' soft memory limit in bytes as the
	// runtime has it (debug.SetMemoryLimit), the preloaded bytes it was
	// raised by left out (GOMEMLIMITPreloadBytes); nil (JSON null) for
	// none.
	GOMEMLIMITBytes *int64 `json:"gomemlimit_bytes"`
	// GOMEMLIMITPreloadBytes is what the limit was raised by for
	// preloaded captures in the Go heap (0 where they are outside it, as
	// on Linux).
	GOMEMLIMITPreloadBytes int64 `json:"gomemlimit_preload_bytes"`
	GOMAXPROCS             int   `json:"gomaxprocs"`
	NumCPU                 int   `json:"num_cpu"`

	Packets uint64 `json:"packets"`
	// CapturedBytes are the bytes of the packets as captured (each
	// record's captured length, at most the snap length).
	CapturedBytes uint64 `json:"captured_bytes"`
	// WireBytes are the packets' bytes on the wire (each record's
	// original length, pcap orig_len): Gbit/s are of these.
	WireBytes uint64 `json:"wire_bytes"`

	Floor []Measure `json:"floor"`
	Full  []Measure `json:"full"`
	// Ratios are the per-pair wall-time ratios full/floor (JSON
	// wall_ratios, with cpu_ratios beside them: WriteJSON).
	Ratios []float64 `json:"-"`
	// Warnings say why figures are not meaningful: a capture under
	// MinPackets packets or MinWorkNs of full-pipeline work.
	Warnings []string `json:"warnings"`

	// Stages is the CPU time per stage summed over the profiled full runs
	// (StageRuns of them); ProfiledNs their total.
	Stages     StageTimes `json:"-"`
	StageRuns  int        `json:"stage_runs"`
	ProfiledNs int64      `json:"profiled_cpu_ns"`
	// ProfileSamples is how many CPU profile samples (100 a second) the
	// stages come from: under MinProfileSamples, too few for per-stage
	// figures (the text report says so instead of its table).
	ProfileSamples int `json:"profile_samples"`

	PDUs     uint64 `json:"pdus"`
	PDUBytes uint64 `json:"pdu_bytes"`
	// PDUsDuringRun are the frames the collector received while packets
	// were still read (pipeline.Result.DeliveredDuringRun): the rest
	// waited in the sender until the last packet (no overlap of probe and
	// collector for those).
	PDUsDuringRun uint64 `json:"pdus_during_run"`
	// Tables is what the last full run wrote, per table.
	Tables map[string]store.TableStats `json:"tables"`
	Flows  uint64                      `json:"flows"`
}

// ErrEmpty: the captures hold no packet.
var ErrEmpty = errors.New("bench: no packets to measure")

// Below MinPackets packets or MinWorkNs of work per full run (median wall
// time), start-up costs dominate: the report warns that its ratios and
// per-packet figures are not meaningful, and gives no median ratio.
const (
	MinPackets = 100_000
	MinWorkNs  = int64(500 * time.Millisecond)
	// MinProfileSamples is the fewest CPU profile samples the text report
	// divides into per-stage figures (at 100 Hz: 1 s of CPU); a 3-sample
	// profile of a small capture gave "73529.4 ns/pkt".
	MinProfileSamples = 100
)

// steadyEvery is the period, in packets, of the allocation counter's
// samples for the steady-state rate.
const steadyEvery = 1 << 15

// anyPacket returns ErrEmpty unless one of the captures holds a packet:
// it reads the first of each, and runs nothing.
func anyPacket(opt Options, data [][]byte) error {
	for i, p := range opt.Paths {
		var d []byte
		if data != nil {
			d = data[i]
		}
		src, err := opt.Open(p, d)
		if err != nil {
			return err
		}
		_, _, err = src.Next()
		src.Close()
		if !errors.Is(err, io.EOF) {
			return nil // a packet, or damage the runs report
		}
	}
	return fmt.Errorf("%w in %s (empty or header-only capture)", ErrEmpty, strings.Join(opt.Paths, ", "))
}

// Small reports whether the captures are too small for meaningful ratios.
func (r *Report) Small() bool {
	if len(r.Full) == 0 {
		return true
	}
	walls := make([]float64, len(r.Full))
	for i, m := range r.Full {
		walls[i] = float64(m.WallNs)
	}
	return r.Packets < MinPackets || median(walls) < float64(MinWorkNs)
}

// Run runs the benchmark. Captures without packets give ErrEmpty.
func Run(ctx context.Context, opt Options) (*Report, error) {
	if len(opt.Paths) == 0 {
		return nil, errors.New("bench: no capture")
	}
	if opt.Open == nil || opt.Merge == nil || opt.Workload == nil {
		return nil, errors.New("bench: Options.Open, Options.Merge and Options.Workload are required")
	}
	if opt.Config == nil {
		opt.Config = config.Default()
	}
	if err := createProfiles(opt.ProfilePath, opt.HeapProfilePath); err != nil {
		return nil, err
	}
	opt.Repeat = max(opt.Repeat, 1)
	opt.Workers = max(opt.Workers, 0)
	r := &Report{Paths: opt.Paths, Workers: opt.Workers, Preload: opt.Preload, ReadAhead: !opt.NoReadAhead, GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(),
		GOMEMLIMIT: envOr("GOMEMLIMIT", "off"), Stages: StageTimes{}}
	r.GOGC, r.GOGCPercent = gcPercent()
	var data [][]byte
	var heapPreload int64 // preloaded bytes in the Go heap (preload_other.go, Linux's fallbacks)
	if opt.Preload {
		for _, p := range opt.Paths {
			b, release, inHeap, err := preload(p)
			if err != nil {
				return nil, fmt.Errorf("bench: preload: %w", err)
			}
			defer release()
			_ = warm(b)
			data = append(data, b)
			r.PreloadBytes += int64(len(b))
			if inHeap {
				heapPreload += int64(len(b))
			}
		}
	}
	if opt.MemoryLimit > 0 {
		// Preloaded captures in the heap are live heap the runs do not own:
		// the limit is the runs' own plus theirs.
		old := debug.SetMemoryLimit(opt.MemoryLimit + heapPreload)
		defer debug.SetMemoryLimit(old)
		r.GOMEMLIMIT = fmt.Sprintf("%dMiB", opt.MemoryLimit>>20)
		if heapPreload > 0 {
			r.GOMEMLIMIT += fmt.Sprintf(" + %dMiB preloaded", heapPreload>>20)
		}
	}
	if lim := debug.SetMemoryLimit(-1); lim != math.MaxInt64 { // -1 reads it
		lim -= heapPreload
		r.GOMEMLIMITBytes, r.GOMEMLIMITPreloadBytes = &lim, heapPreload
	}
	if err := anyPacket(opt, data); err != nil { // refused before any run (and progress line)
		return nil, err
	}
	pairs := opt.Repeat
	if opt.Warmup {
		pairs++
	}
	for i := range pairs {
		keep := !opt.Warmup || i > 0
		label := fmt.Sprintf("%d/%d", i+1, pairs)
		if !keep {
			label = "warm-up"
		}
		if opt.Progress != nil {
			opt.Progress("floor " + label)
		}
		fm, fc, err := runFloor(opt.Paths, data)
		if err != nil {
			return nil, err
		}
		if fc.Packets == 0 {
			return nil, fmt.Errorf("%w in %s (empty or header-only capture)", ErrEmpty, strings.Join(opt.Paths, ", "))
		}
		if opt.Progress != nil {
			opt.Progress("full " + label)
		}
		opt.floorPackets = fc.Packets
		m, err := runFull(ctx, opt, data, heapPreload, r, keep)
		if err != nil {
			return nil, err
		}
		if !keep {
			continue
		}
		if r.Packets != 0 && r.Packets != fc.Packets {
			return nil, fmt.Errorf("bench: the floor read %d packets, the pipeline %d", fc.Packets, r.Packets)
		}
		r.WireBytes = fc.Bytes
		fm.PeakRSSLessPreloadBytes = fm.PeakRSSBytes - r.PreloadBytes
		m.PeakRSSLessPreloadBytes = m.PeakRSSBytes - r.PreloadBytes
		r.Floor = append(r.Floor, fm)
		r.Full = append(r.Full, m)
		r.Ratios = append(r.Ratios, float64(m.WallNs)/float64(max(fm.WallNs, 1)))
	}
	if r.Small() {
		work := 0.0
		if len(r.Full) > 0 {
			work = summarize(r.Full, func(m Measure) float64 { return float64(m.WallNs) / 1e9 }).med
		}
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d packets, %.3f s of work per full run: under %d packets or %.1f s, start-up costs dominate and the ratios full/floor and per-packet figures are not meaningful (no median ratio given)",
			r.Packets, work, MinPackets, float64(MinWorkNs)/1e9))
	}
	return r, nil
}

// gcPercent is the runtime's GC percent (runtime/metrics
// "/gc/gogc:percent", which holds -1 as a uint64 when the collector is
// off) as text ("100", "off") and as a number (nil: off).
func gcPercent() (string, *int) {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[0].Value.Uint64() > math.MaxInt32 {
		return "off", nil
	}
	p := int(s[0].Value.Uint64())
	return strconv.Itoa(p), &p
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// runFloor decodes every capture with the floor and measures it.
func runFloor(paths []string, data [][]byte) (Measure, FloorCounts, error) {
	var total FloorCounts
	s := startMeasure()
	for i, p := range paths {
		var rd io.Reader
		if data != nil {
			rd = bytes.NewReader(data[i])
		} else {
			f, err := os.Open(p)
			if err != nil {
				return Measure{}, total, fmt.Errorf("bench: floor: %w", err)
			}
			defer f.Close()
			rd = f
		}
		c, err := Floor(rd)
		if err != nil {
			return Measure{}, total, fmt.Errorf("bench: floor: %s: %w", p, err)
		}
		total.Packets += c.Packets
		total.Bytes += c.Bytes
		total.CapturedBytes += c.CapturedBytes
	}
	return s.stop(), total, nil
}

// runFull runs the whole pipeline into a temporary output folder;
// heapPreload of data's bytes are in the Go heap.
func runFull(ctx context.Context, opt Options, data [][]byte, heapPreload int64, r *Report, keep bool) (Measure, error) {
	tmp, err := os.MkdirTemp(opt.TempDir, "tmonbench-bench-")
	if err != nil {
		return Measure{}, fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(tmp)
	colls, err := pipeline.Collectors(opt.Config)
	if err != nil {
		return Measure{}, err
	}
	var prof bytes.Buffer
	profiling := opt.Stages && keep
	if profiling {
		if err := pprof.StartCPUProfile(&prof); err != nil {
			return Measure{}, fmt.Errorf("bench: profile: %w", err)
		}
	}
	s := startMeasure()
	wl, err := opt.Workload(data)
	if err != nil {
		return Measure{}, err
	}
	if wl.Close != nil {
		defer wl.Close()
	}
	run, err := store.BeginRun(filepath.Join(tmp, "out"), store.Manifest{Version: "bench", Command: []string{"tmonbench", "bench"}, ConfigHash: opt.Config.Hash()})
	if err != nil {
		return Measure{}, err
	}
	defer run.Abort()
	// Parts published by capture time, as a replay at full speed does: the
	// same files as replay's whatever the machine's speed (at 5 s of wall
	// time a slower run cut more parts, and the parts' cost in the
	// measure varied with it: TestBenchFilesAreReplays).
	run.PublishByCapture = true
	st := newSteady()
	if opt.SteadyProfilePath != "" && keep {
		defer st.profileWindow(opt.floorPackets)()
	}
	var raised func() int64
	if opt.MemoryLimit > 0 {
		raised = guardLimit(opt.MemoryLimit, heapPreload)
	}
	stopHeap := func() error { return nil }
	if opt.HeapProfilePath != "" && keep {
		stopHeap = watchHeap(opt.HeapProfilePath)
		defer func() { stopHeap() }() // a run that failed: its error is said
	}
	res, err := pipeline.Run(ctx, wl.Inputs, pipeline.Options{
		Config: opt.Config, Probes: wl.Probes, Collectors: colls,
		Merge: opt.Merge, Finish: wl.Events,
		Parallel: true, Sink: run, ReadAhead: !opt.NoReadAhead, Workers: opt.Workers,
		Progress: st.progress, ProgressEvery: steadyEvery,
	})
	if err != nil {
		return Measure{}, err
	}
	if wl.Write != nil {
		if err := wl.Write(run); err != nil {
			return Measure{}, err
		}
	}
	if err := run.Finish(); err != nil {
		return Measure{}, err
	}
	m := s.stop()
	err = stopHeap()
	stopHeap = func() error { return nil }
	if err != nil {
		return Measure{}, err
	}
	if raised != nil {
		m.LimitRaisedTo = raised()
	}
	if profiling {
		pprof.StopCPUProfile()
		if opt.ProfilePath != "" {
			if err := os.WriteFile(opt.ProfilePath, prof.Bytes(), 0o644); err != nil {
				return Measure{}, fmt.Errorf("bench: %w", err)
			}
		}
		times, samples, err := attribute(prof.Bytes())
		if err != nil {
			return Measure{}, fmt.Errorf("bench: read profile: %w", err)
		}
		r.Stages.Add(times)
		r.StageRuns++
		r.ProfileSamples += samples
		for _, v := range times {
			r.ProfiledNs += v
		}
	}
	if v, ok := st.rate(res.Packets); ok {
		m.SteadyAllocsPerPacket = &v
	}
	if opt.SteadyProfilePath != "" && keep {
		if err := st.writeProfile(opt.SteadyProfilePath); err != nil {
			return Measure{}, err
		}
	}
	r.Packets, r.CapturedBytes = res.Packets, res.Bytes
	r.PDUs, r.PDUBytes, _ = res.PDUTotals()
	r.PDUsDuringRun = res.DeliveredDuringRun
	r.Tables = run.Stats().Tables
	r.Flows = res.ProbeTotals().Flows
	return m, nil
}

// warm reads one byte of every 4 KiB page of b and returns their sum
// (kept out of line, so the reads stay): on this project's virtual
// machines the first read of memory the kernel has just filled costs
// about 1.4 ns a byte (4.4 s for the 5M corpus's 2.9 GiB, 0.12 s the
// next time), which the floor, run first, paid: 5.1-5.5 s instead of
// 0.87 (with no collection in it).
//
//go:noinline
func warm(b []byte) byte {
	var s byte
	for i := 0; i < len(b); i += 4096 {
		s += b[i]
	}
	return s
}

// guardLimit watches the live heap every 20 ms and raises the memory
// limit (which must be set, to limit plus preload) to RaiseTo times the
// live heap beyond the preload bytes of preloaded captures each time that
// heap outgrows LiftAt of the limit. done stops the watch, sets the limit
// again for the next run, and returns the highest limit it set (less
// preload), 0 if none.
func guardLimit(limit, preload int64) (done func() int64) {
	cur, raised := limit, int64(0)
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	check := func() { // s, cur, raised: one goroutine at a time
		metrics.Read(s)
		if live := float64(s[0].Value.Uint64()) - float64(preload); live > LiftAt*float64(cur) {
			cur = int64(live * RaiseTo)
			debug.SetMemoryLimit(cur + preload)
			raised = cur
		}
	}
	stop := syncio.Ticking(20*time.Millisecond, func(time.Time) bool {
		check()
		return false
	})
	return func() int64 {
		stop()
		check() // a run shorter than a tick
		debug.SetMemoryLimit(limit + preload)
		return raised
	}
}

// createProfiles creates the profile files named (empty until the last
// full run writes them), so an unwritable path stops bench before its
// first run: it was found only when the profile was written, after every
// run (minutes on a large capture before the error).
func createProfiles(paths ...string) error {
	for _, p := range paths {
		if p == "" {
			continue
		}
		f, err := os.Create(p)
		if err != nil {
			return fmt.Errorf("bench: profile: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("bench: profile: %w", err)
		}
	}
	return nil
}

// watchHeap writes a heap profile to path each time the live heap (after
// a collection) reaches a new high, until stop is called; stop writes one
// if none was (a run shorter than a tick) and returns the first error
// writing it (an unwritable path was said nowhere: bench --memprofile
// /nonexist/x.prof exited 0 without a file).
func watchHeap(path string) (stop func() error) {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var high uint64
	var err error
	written := false
	write := func() {
		f, e := os.Create(path)
		if e == nil {
			e = pprof.Lookup("heap").WriteTo(f, 0)
			if c := f.Close(); e == nil {
				e = c
			}
		}
		if e != nil && err == nil {
			err = fmt.Errorf("bench: heap profile: %w", e)
		}
		written = written || e == nil
	}
	stopTicking := syncio.Ticking(50*time.Millisecond, func(time.Time) bool {
		metrics.Read(s)
		if v := s[0].Value.Uint64(); v > high+high/20 {
			high = v
			write()
		}
		return err != nil
	})
	return func() error {
		stopTicking() // returns once the ticking goroutine has: err and written are ours
		if !written && err == nil {
			write()
		}
		return err
	}
}

// now is the clock of the measured spans (a test's fake clock counts what
// a span covers).
var now = time.Now

// span is a measurement in progress.
type span struct {
	wall         time.Time
	cpu          cpuTimes
	ms           runtime.MemStats
	gcCPU        float64
	samples      []metrics.Sample
	rssResetDone bool
}

// gcMetrics are the runtime's estimates of GC CPU (dedicated and assist
// marking, pauses): wall time of busy Ps, so on a loaded machine they
// exceed the CPU the profile charges to GC.
var gcMetrics = []string{"/cpu/classes/gc/mark/dedicated:cpu-seconds", "/cpu/classes/gc/mark/assist:cpu-seconds", "/cpu/classes/gc/pause:cpu-seconds"}

func startMeasure() *span {
	debug.FreeOSMemory() // the previous run's heap is returned: each peak is the run's own
	s := &span{}
	for _, n := range gcMetrics {
		s.samples = append(s.samples, metrics.Sample{Name: n})
	}
	// Writing 5 to clear_refs resets the peak RSS (VmHWM) to the current
	// RSS (Linux >= 4.0), so each run's peak is its own.
	s.rssResetDone = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	runtime.ReadMemStats(&s.ms)
	s.gcCPU = gcSeconds(s.samples)
	s.cpu = readCPU()
	s.wall = now()
	return s
}

func (s *span) stop() Measure {
	wall := now().Sub(s.wall)
	cpu := readCPU()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	gc := gcSeconds(s.samples)
	return Measure{
		WallNs:       wall.Nanoseconds(),
		UserNs:       cpu.userNs - s.cpu.userNs,
		SysNs:        cpu.sysNs - s.cpu.sysNs,
		Allocs:       ms.Mallocs - s.ms.Mallocs,
		AllocBytes:   ms.TotalAlloc - s.ms.TotalAlloc,
		GCCPUNs:      int64((gc - s.gcCPU) * 1e9),
		GCCycles:     uint64(ms.NumGC - s.ms.NumGC),
		PeakRSSBytes: peakRSS(),
		FileRSSBytes: statusBytes("RssFile:"),
	}
}

func gcSeconds(samples []metrics.Sample) float64 {
	metrics.Read(samples)
	var t float64
	for _, s := range samples {
		if s.Value.Kind() == metrics.KindFloat64 {
			t += s.Value.Float64()
		}
	}
	return t
}

// peakRSS reads VmHWM from /proc/self/status (bytes), or the process'
// maximum RSS from getrusage where /proc is missing.
func peakRSS() int64 {
	if n := statusBytes("VmHWM:"); n > 0 {
		return n
	}
	return readCPU().maxRSSBytes
}

// statusBytes reads the field named by prefix (in kB) from
// /proc/self/status, in bytes; 0 where it is missing.
func statusBytes(prefix string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte(prefix)); ok {
			var kb int64
			if _, err := fmt.Sscan(string(v), &kb); err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// median returns the median of v (the mean of the middle two for an even
// count), or 0 for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
