package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// WriteJSON writes the report as one indented JSON object (docs/speed.md
// lists its fields). Where the text report says n/a, the JSON says
// null: the ratios of a capture too small for them (Small), and the
// stages of a profile under MinProfileSamples samples.
func (r *Report) WriteJSON(w io.Writer) error {
	type stage struct {
		Stage    string  `json:"stage"`
		CPUNs    int64   `json:"cpu_ns"`
		NsPerPkt float64 `json:"ns_per_packet"`
		Share    float64 `json:"share"`
	}
	out := struct {
		*Report
		WallRatios      []float64  `json:"wall_ratios"` // per pair, full/floor
		WallRatioMedian *float64   `json:"wall_ratio_median"`
		CPURatios       []float64  `json:"cpu_ratios"`
		CPURatioMedian  *float64   `json:"cpu_ratio_median"`
		FloorMedian     rateJSON   `json:"floor_median"`
		FullMedian      rateJSON   `json:"full_median"`
		StageCPUNs      StageTimes `json:"stage_cpu_ns"`
		StageList       []stage    `json:"stages"`
	}{Report: r, FloorMedian: r.rates(r.Floor), FullMedian: r.rates(r.Full)}
	if !r.Small() {
		wm, cm := median(r.Ratios), median(r.cpuRatios())
		out.WallRatios, out.WallRatioMedian, out.CPURatios, out.CPURatioMedian = r.Ratios, &wm, r.cpuRatios(), &cm
	}
	if r.ProfileSamples >= MinProfileSamples {
		out.StageCPUNs = r.Stages
		for _, s := range r.stageRows() {
			out.StageList = append(out.StageList, stage{Stage: s.name, CPUNs: s.ns, NsPerPkt: s.perPkt, Share: s.share})
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// rateJSON is one side's median wall time and the rates of it.
type rateJSON struct {
	// WallNs is the median wall time (the mean of the middle two for an
	// even number of runs).
	WallNs float64 `json:"wall_ns"`
	// PacketsPerS and WireGbitPerS are the packets and their bytes on the
	// wire (Report.WireBytes) over WallNs.
	PacketsPerS  float64 `json:"packets_per_s"`
	WireGbitPerS float64 `json:"wire_gbit_per_s"`
}

func (r *Report) rates(ms []Measure) rateJSON {
	if len(ms) == 0 {
		return rateJSON{}
	}
	wall := summarize(ms, func(m Measure) float64 { return float64(m.WallNs) })
	return rateJSON{WallNs: wall.med, PacketsPerS: float64(r.Packets) / (wall.med / 1e9), WireGbitPerS: float64(r.WireBytes) * 8 / wall.med}
}

// cpuRatios are the per-pair CPU-time ratios full/floor.
func (r *Report) cpuRatios() []float64 {
	v := make([]float64, min(len(r.Full), len(r.Floor)))
	for i := range v {
		v[i] = float64(r.Full[i].CPUNs()) / float64(max(r.Floor[i].CPUNs(), 1))
	}
	return v
}

type stageRow struct {
	name   string
	ns     int64
	perPkt float64
	share  float64
}

// stageRows returns the stages with time, in report order, per packet of
// one run.
func (r *Report) stageRows() []stageRow {
	if r.StageRuns == 0 || r.Packets == 0 {
		return nil
	}
	var rows []stageRow
	for _, name := range Stages {
		ns, ok := r.Stages[name]
		if !ok {
			continue
		}
		per := float64(ns) / float64(r.StageRuns) / float64(r.Packets)
		rows = append(rows, stageRow{name: name, ns: ns, perPkt: per, share: float64(ns) / float64(max(r.ProfiledNs, 1))})
	}
	return rows
}

// sizeText is a byte count in decimal units: kB under 1 MB, MB under
// 10 GB (the README's 2996.1 MB), else GB.
func sizeText(b uint64) string {
	switch {
	case b < 1e6:
		return fmt.Sprintf("%.1f kB", float64(b)/1e3)
	case b < 1e10:
		return fmt.Sprintf("%.1f MB", float64(b)/1e6)
	}
	return fmt.Sprintf("%.1f GB", float64(b)/1e9)
}

// summary is min, median and max of one figure over the runs.
type summary struct{ min, med, max float64 }

func summarize(ms []Measure, f func(Measure) float64) summary {
	v := make([]float64, len(ms))
	for i, m := range ms {
		v[i] = f(m)
	}
	return summary{min: slices.Min(v), med: median(v), max: slices.Max(v)}
}

// per is v over each wall time of w: median v/w.med, min v/w.max, max
// v/w.min, so that a rate is of the wall time printed beside it (a median
// of per-run rates is not, for an even number of runs).
func per(v float64, w summary) summary {
	return summary{min: v / w.max, med: v / w.med, max: v / w.min}
}

func (s summary) fmt(format string, n int) string {
	if n == 1 {
		return fmt.Sprintf(format, s.med)
	}
	return fmt.Sprintf(format+" ("+format+"-"+format+")", s.med, s.min, s.max)
}

// gcCount is the count whose noun the GC cycles of s take: 1 when every
// run had one ("GC: 1 cycle"; "1 cycles" was printed), else 2.
func gcCount(s summary) int {
	if s.min == 1 && s.max == 1 {
		return 1
	}
	return 2
}

// WriteText writes the report as the table tmonbench bench prints.
func (r *Report) WriteText(w io.Writer) {
	names := make([]string, len(r.Paths))
	for i, p := range r.Paths {
		names[i] = filepath.Base(p)
	}
	src := "disk (read system calls)"
	if r.Preload {
		src = fmt.Sprintf("preloaded (%.0f MiB in memory)", float64(r.PreloadBytes)/(1<<20))
	}
	if r.ReadAhead {
		src += ", read ahead"
	}
	n := len(r.Full)
	workers := "probe in the reader's goroutine"
	if r.Workers > 0 {
		workers = fmt.Sprintf("%d worker(s) per probe", r.Workers)
	}
	fmt.Fprintf(w, "tmonbench bench: %s: %d packets, %s captured (%s on the wire); %s; %s; %d pair(s) floor/full; GOMAXPROCS %d (%d CPUs), GOGC %s, GOMEMLIMIT %s\n",
		strings.Join(names, " "), r.Packets, sizeText(r.CapturedBytes), sizeText(r.WireBytes), workers, src, n, r.GOMAXPROCS, r.NumCPU, r.GOGC, r.GOMEMLIMIT)
	for _, warn := range r.Warnings {
		fmt.Fprintln(w, "warning:", warn)
	}
	if n == 0 {
		return
	}
	if n > 1 {
		fmt.Fprintln(w, "figures: median (min-max) over the pairs")
	}
	fmt.Fprintf(w, "\n%-22s %20s %20s %22s %20s %18s\n", "run", "wall s", "CPU s", "packets/s", "Gbit/s on the wire", "peak RSS MiB")
	for _, row := range []struct {
		name string
		ms   []Measure
	}{{"floor (decode only)", r.Floor}, {"full pipeline", r.Full}} {
		wall := summarize(row.ms, func(m Measure) float64 { return float64(m.WallNs) / 1e9 })
		cpu := summarize(row.ms, func(m Measure) float64 { return float64(m.CPUNs()) / 1e9 })
		pps, gbps := per(float64(r.Packets), wall), per(float64(r.WireBytes)*8/1e9, wall)
		rss := summarize(row.ms, func(m Measure) float64 { return float64(m.PeakRSSLessPreloadBytes) / (1 << 20) })
		fmt.Fprintf(w, "%-22s %20s %20s %22s %20s %18s\n", row.name, wall.fmt("%.2f", n), cpu.fmt("%.2f", n), pps.fmt("%.0f", n), gbps.fmt("%.2f", n), rss.fmt("%.0f", n))
	}
	fmt.Fprintln(w, "(packets/s and Gbit/s: the packets and their bytes on the wire, pcap orig_len, over the wall time beside them;",
		"wall times include opening the captures: the floor's pcapgo reader, the full pipeline's as replay opens them)")
	ratio := summary{min: slices.Min(r.Ratios), med: median(r.Ratios), max: slices.Max(r.Ratios)}
	cpuRatios := r.cpuRatios()
	cr := summary{min: slices.Min(cpuRatios), med: median(cpuRatios), max: slices.Max(cpuRatios)}
	if r.Small() {
		fmt.Fprintf(w, "\nratio full/floor: n/a (capture too small: under %d packets or %.1f s of work per run)\n", MinPackets, float64(MinWorkNs)/1e9)
	} else {
		fmt.Fprintf(w, "\nratio full/floor, wall: %s   CPU: %s\n", ratio.fmt("%.2f", n), cr.fmt("%.2f", n))
	}
	if r.Preload {
		fmt.Fprintf(w, "(peak RSS excludes the %.0f MiB of preloaded captures)\n", float64(r.PreloadBytes)/(1<<20))
	}
	if file := summarize(r.Full, func(m Measure) float64 { return float64(m.FileRSSBytes) / (1 << 20) }); file.med > 0 {
		fmt.Fprintf(w, "peak RSS includes %s MiB mapped from files (RssFile at the run's end: the executable's code and data the process touched, shared with the page cache)\n", file.fmt("%.0f", n))
	}
	allocs := summarize(r.Full, func(m Measure) float64 { return float64(m.Allocs) / float64(r.Packets) })
	steadyText := "in steady state: n/a (too few packets for a steady state)"
	var withSteady []Measure
	for _, m := range r.Full {
		if m.SteadyAllocsPerPacket != nil {
			withSteady = append(withSteady, m)
		}
	}
	if len(withSteady) > 0 {
		steadyText = summarize(withSteady, func(m Measure) float64 { return *m.SteadyAllocsPerPacket }).fmt("%.3f", len(withSteady)) +
			" in steady state (20-80 % of the packets)"
	}
	gc := summarize(r.Full, func(m Measure) float64 { return float64(m.GCCPUNs) / float64(r.Packets) })
	cycles := summarize(r.Full, func(m Measure) float64 { return float64(m.GCCycles) })
	fmt.Fprintf(w, "allocations per packet: %s over the whole run, %s\n", allocs.fmt("%.3f", n), steadyText)
	fmt.Fprintf(w, pkt.Nouns(gcCount(cycles), "GC: %s cycle[s], %s ns per packet of busy-P time by the runtime's estimate (the profile's GC stage is the CPU)\n"), cycles.fmt("%.0f", n), gc.fmt("%.0f", n))
	if k, hi := raised(r.Full); k > 0 {
		fmt.Fprintf(w, "memory limit %s raised in %d of %d full run(s), to %d MiB at most: their live heap outgrew %.0f %% of it (the limit then follows the live heap, %.2f times it; peak RSS follows the live heap)\n", r.GOMEMLIMIT, k, n, hi>>20, LiftAt*100, RaiseTo)
	}
	fmt.Fprintf(w, "PDUs: %d, %d bytes: %.4f PDU bytes per captured byte, %d frames reached the collector while packets were read; flows %d\n",
		r.PDUs, r.PDUBytes, float64(r.PDUBytes)/float64(max(r.CapturedBytes, 1)), r.PDUsDuringRun, r.Flows)
	if rows := r.stageRows(); rows != nil && r.ProfileSamples < MinProfileSamples {
		fmt.Fprintf(w, "\nCPU per stage: n/a (the capture is too short for per-stage figures: %d CPU profile samples, under %d)\n", r.ProfileSamples, MinProfileSamples)
	} else if rows != nil {
		fmt.Fprintf(w, "\nCPU per stage (full runs, from a CPU profile, %d run(s)):\n%-18s %10s %8s\n", r.StageRuns, "stage", "ns/pkt", "share")
		for _, s := range rows {
			fmt.Fprintf(w, "%-18s %10.1f %7.1f%%\n", s.name, s.perPkt, 100*s.share)
		}
	}
	var tnames []string
	var rows, files, bytes int64
	for t, s := range r.Tables {
		tnames = append(tnames, t)
		rows += s.Rows
		files += int64(s.Files)
		bytes += s.Bytes
	}
	slices.Sort(tnames)
	fmt.Fprintf(w, "\nrows per table (%s, %.1f MiB", pkt.Nouns(rows, fmt.Sprintf("%d row[s]", rows))+" in "+pkt.Nouns(files, fmt.Sprintf("%d Parquet file[s]", files)), float64(bytes)/(1<<20))
	if pq := r.Stages[StageParquet]; pq > 0 && r.StageRuns > 0 && r.ProfileSamples >= MinProfileSamples {
		fmt.Fprintf(w, "; Parquet %.2f M rows per CPU second", float64(rows)/(float64(pq)/float64(r.StageRuns)/1e9)/1e6)
	}
	fmt.Fprintln(w, "):")
	for _, t := range tnames {
		s := r.Tables[t]
		fmt.Fprintf(w, "  %-16s %s %s\n", t, pkt.Nouns(s.Rows, fmt.Sprintf("%10d row[ |s]", s.Rows)), pkt.Nouns(s.Files, fmt.Sprintf("%4d file[s]", s.Files)))
	}
}

// raised counts the runs whose memory limit was raised, and gives the
// highest limit they reached in bytes.
func raised(ms []Measure) (k int, hi int64) {
	for _, m := range ms {
		if m.LimitRaisedTo > 0 {
			k++
			hi = max(hi, m.LimitRaisedTo)
		}
	}
	return k, hi
}
