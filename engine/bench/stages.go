package bench

import (
	"bytes"
	"regexp"

	"github.com/google/pprof/profile"
)

// Stage names, in the order reports list them.
const (
	StageRead      = "read"
	StageDissect   = "dissect"
	StageSieve     = "sieve"
	StageFlowTable = "flow table"
	StageCounters  = "probe counters"
	StageHandOver  = "workers hand-over"
	StageMerge     = "workers merge"
	StageReasm     = "reassembly"
	StageTCP       = "tcp"
	StageRTT       = "rtt"
	StageFTP       = "ftp"
	StageOneway    = "oneway"
	StagePDUEncode = "PDU encode"
	StageDecode    = "collector decode"
	StageRows      = "rows"
	StageParquet   = "Parquet"
	StageGC        = "GC"
	StageOther     = "other"
)

// Stages lists the stage names in report order.
var Stages = []string{StageRead, StageDissect, StageSieve, StageFlowTable, StageCounters, StageHandOver, StageMerge, StageReasm,
	StageTCP, StageRTT, StageFTP, StageOneway, StagePDUEncode, StageDecode, StageRows, StageParquet, StageGC, StageOther}

// rule charges the frames whose function name matches re to stage. A
// sample's stack is read from its root to its leaf; a matching frame
// replaces the stage found so far when its level is at least as high, so
// deeper frames refine the stage (probe.account -> flow.Lookup is the flow
// table) while the collector's and the store's stages are not undone by the
// codecs they call, and garbage collection wins wherever it happens.
type rule struct {
	re    *regexp.Regexp
	stage string
	level int
}

const mod = `github\.com/tmonbench/tmonbench/`

var rules = []rule{
	{regexp.MustCompile(`^runtime\.(gcBgMarkWorker|gcDrain|gcAssistAlloc|bgsweep|bgscavenge|markroot|gcMarkDone|gcMarkTermination|gcStart|sweepone|scanobject|scanObject|wbBufFlush)`), StageGC, 9},
	{regexp.MustCompile(`^(` + mod + `engine/store\.|github\.com/parquet-go/|github\.com/klauspost/compress/)`), StageParquet, 7},
	{regexp.MustCompile(`^` + mod + `engine/collector\.(\(\*Collector\)\.(take|Drain|Finish|resolve|holdUnresolved|addHistogram|name|known|lookupName)|split)`), StageRows, 6},
	{regexp.MustCompile(`^` + mod + `engine/pipeline\.\(\*run\)\.(drain|finish)`), StageRows, 6}, // drain, drainIfDue: the collector's rows staged and handed to the sink
	{regexp.MustCompile(`^` + mod + `engine/(collector\.|pdu\.\(\*Receiver\)|pipeline\.startWorker)`), StageDecode, 5},
	{regexp.MustCompile(`^(` + mod + `engine/pdu\.|` + mod + `engine/(tcpconn|rtt|ftp|oneway)\.Append|` + mod + `engine/pipeline\.\(\*worker\)\.deliver)`), StagePDUEncode, 2},
	{regexp.MustCompile(`^(` + mod + `replay\.|` + mod + `engine/pipeline\.\(\*guarded\)\.Next|os\.\(\*File\)\.Read|syscall\.read)`), StageRead, 1},
	{regexp.MustCompile(`^` + mod + `engine/probe\.` + handOverFuncs), StageHandOver, 1},
	{regexp.MustCompile(`^` + mod + `engine/probe\.` + mergeFuncs), StageMerge, 1},
	{regexp.MustCompile(`^` + mod + `engine/probe\.`), StageCounters, 1},
	{regexp.MustCompile(`^` + mod + `engine/dissect\.`), StageDissect, 1},
	{regexp.MustCompile(`^` + mod + `engine/filter\.`), StageSieve, 1},
	{regexp.MustCompile(`^` + mod + `engine/flow\.`), StageFlowTable, 1},
	{regexp.MustCompile(`^` + mod + `engine/reasm\.`), StageReasm, 1},
	{regexp.MustCompile(`^` + mod + `engine/tcpconn\.`), StageTCP, 1},
	{regexp.MustCompile(`^` + mod + `engine/rtt\.`), StageRTT, 1},
	{regexp.MustCompile(`^` + mod + `engine/ftp\.`), StageFTP, 1},
	{regexp.MustCompile(`^` + mod + `engine/oneway\.`), StageOneway, 1},
}

// handOverFuncs are engine/probe's functions that split the packets
// among the workers of `--workers N` and hand them over (workers.go, the
// shard's ownership checks in shard.go, bound.go's pauses): batching,
// channel sends and waits, the workers' loop. Without them a --workers
// run charged them to the probe counters (202 ns/packet there on the 5M
// corpus instead of 46 without workers).
const handOverFuncs = `(work(\.|$)|pauseWorker|pauseWithin|\(\*workBatch\)\.|` +
	`\(\*Workers\)\.(Packet|PacketLent|peek|batch|queued|Tick|dispatch|send|retire|drain|Settle|EndCapture|Close)|` +
	`\(\*shard\)\.(owns|ownsQuoted|dissect))`

// mergeFuncs are engine/probe's functions that record each worker's PDUs
// and merge them in a lone probe's order with dense ids (shard.go,
// order.go, renum.go, bound.go): the recorder, the merge, the order keys,
// the renumbering.
const mergeFuncs = `(\(\*recorder\)\.|\(\*renum\)\.|\(\*renumbering\)\.|\(\*idPages\)\.|\(\*shard\)\.|` +
	`\(\*Workers\)\.(merge|replayOp|limitedSummary|byKey|head|closeEvents|final|start|setBound|denseIDs)|` +
	`\(\*Probe\)\.(stage|keyed|sampleKey|histKey)$|` +
	`(stageOf|stageKeyed|stageByID|itemOf|timeKey|ends|newRenum|pausable|kindsSince|sharedMetricID|addValue)$|\(\*Stats\)\.Add$)`

// StageTimes is CPU time per stage in nanoseconds.
type StageTimes map[string]int64

// Add adds o's times to s.
func (s StageTimes) Add(o StageTimes) {
	for k, v := range o {
		s[k] += v
	}
}

// attribute reads a CPU profile (runtime/pprof's gzipped protobuf),
// charges every sample's CPU time to a stage, and counts the samples.
func attribute(prof []byte) (StageTimes, int, error) {
	p, err := profile.Parse(bytes.NewReader(prof))
	if err != nil {
		return nil, 0, err
	}
	vi, ci := -1, -1
	for i, st := range p.SampleType {
		if st.Type == "cpu" && st.Unit == "nanoseconds" {
			vi = i
		}
		if st.Type == "samples" {
			ci = i
		}
	}
	if vi < 0 {
		return StageTimes{}, 0, nil
	}
	samples := 0
	memo := map[string]int{} // function name -> rule index + 1 (0: none)
	out := StageTimes{}
	var stack []string
	for _, s := range p.Sample {
		stack = stack[:0]
		for li := len(s.Location) - 1; li >= 0; li-- { // root first
			loc := s.Location[li]
			for k := len(loc.Line) - 1; k >= 0; k-- { // outermost inlined frame first
				if fn := loc.Line[k].Function; fn != nil {
					stack = append(stack, fn.Name)
				}
			}
		}
		out[stageOfMemo(stack, memo)] += s.Value[vi]
		if ci >= 0 {
			samples += int(s.Value[ci])
		} else {
			samples++
		}
	}
	return out, samples, nil
}

// stageOf returns the stage of a stack of function names, root first.
func stageOf(stack []string) string { return stageOfMemo(stack, map[string]int{}) }

func stageOfMemo(stack []string, memo map[string]int) string {
	stage, level := StageOther, -1
	for _, name := range stack {
		ri, ok := memo[name]
		if !ok {
			for i := range rules {
				if rules[i].re.MatchString(name) {
					ri = i + 1
					break
				}
			}
			memo[name] = ri
		}
		if ri > 0 && rules[ri-1].level >= level {
			stage, level = rules[ri-1].stage, rules[ri-1].level
		}
	}
	return stage
}
