package bench

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestAttributeWorkers: with --workers N, the workers' machinery (the
// hand-over of batches, its waits, the recording and merge of the
// workers' PDUs, the renumbering) is charged to stages of its own, not to
// the probe counters; the analyses the workers run keep their stages. The
// stacks are real ones, root first (leaf frames of `go tool pprof -traces`
// of `tmonbench bench --workers 2 --preload --repeat 2 --cpuprofile F` on
// the 5M corpus's first 1 M packets, the main goroutine's frames above
// engine/pipeline cut). Before these stages, a trial charged 202 ns/packet
// to the probe counters with --workers 2 against 46 without.
func TestAttributeWorkers(t *testing.T) {
	p := func(s ...string) []string {
		out := make([]string, len(s))
		for i, f := range s {
			if strings.HasPrefix(f, "engine/") {
				f = mod2(f)
			}
			out[i] = f
		}
		return out
	}
	cases := []struct {
		stack []string // root first
		want  string
	}{
		// the caller's goroutine hands packets over
		{p("engine/pipeline.(*run).feed", "engine/probe.(*Loop).Run", "engine/pipeline.(*run).feed.func7", "engine/probe.(*Workers).PacketLent", "engine/probe.(*workBatch).holds"), StageHandOver},
		{p("engine/pipeline.(*run).feed", "engine/probe.(*Loop).Run", "engine/pipeline.(*run).feed.func7", "engine/probe.(*Workers).PacketLent", "engine/probe.(*Workers).queued", "engine/probe.(*Workers).dispatch", "engine/probe.(*Workers).send", "runtime.chansend1", "runtime.chansend"), StageHandOver},
		{p("engine/pipeline.(*run).feed", "engine/probe.(*Loop).Run", "engine/pipeline.(*run).feed.func7", "engine/probe.(*Workers).PacketLent", "engine/probe.(*Workers).queued", "engine/probe.(*Workers).dispatch", "engine/probe.(*Workers).retire", "runtime.chanrecv1", "runtime.chanrecv", "runtime.gopark"), StageHandOver},
		// a worker's loop and its waits
		{p("engine/probe.work"), StageHandOver},
		{p("engine/probe.work", "runtime.chanrecv2", "runtime.chanrecv"), StageHandOver},
		{p("engine/probe.work", "engine/probe.pauseWorker", "runtime.chanrecv1"), StageHandOver},
		// the merge of the workers' records, on the caller's goroutine
		{p("engine/probe.(*Loop).Run", "engine/pipeline.(*run).feed.func7", "engine/probe.(*Workers).PacketLent", "engine/probe.(*Workers).queued", "engine/probe.(*Workers).dispatch", "engine/probe.(*Workers).retire", "engine/probe.(*Workers).mergeRounds", "engine/probe.(*Workers).mergeRound", "engine/probe.(*renum).prescan"), StageMerge},
		{p("engine/pipeline.Run", "engine/pipeline.(*run).settle", "engine/probe.(*Workers).Close", "engine/probe.(*Workers).retire", "engine/probe.(*Workers).mergeRounds", "engine/probe.(*Workers).mergeRound", "engine/probe.(*Workers).byKey", "engine/probe.(*Workers).head", "engine/probe.(*recorder).headKey"), StageMerge},
		{p("engine/pipeline.Run", "engine/pipeline.(*run).settle", "engine/probe.(*Workers).Close", "engine/probe.(*Workers).retire", "engine/probe.(*Workers).mergeRounds", "engine/probe.(*Workers).mergeRound", "engine/probe.(*Workers).replayOp", "engine/probe.(*recorder).replay", "engine/probe.(*renum).rewrite", "runtime.growslice", "runtime.memmove"), StageMerge},
		// a worker recording its PDUs for the merge
		{p("engine/probe.work", "engine/probe.(*Probe).Close", "engine/probe.(*Probe).reportActive", "engine/probe.(*Probe).report", "engine/probe.(*Probe).appendCounters", "engine/probe.(*recorder).End", "engine/probe.(*recorder).keep", "runtime.memmove"), StageMerge},
		{p("engine/probe.work", "engine/probe.(*Probe).Close", "engine/flow.(*Table).Close", "engine/probe.(*Probe).Close.func1", "engine/probe.(*recorder).End", "engine/probe.(*recorder).add", "runtime.asyncPreempt"), StageMerge},
		{p("engine/probe.work", "engine/probe.(*Probe).Packet", "engine/probe.(*shard).done", "engine/probe.(*shard).created", "engine/probe.(*shard).note"), StageMerge},
		// what the workers run keeps its stage
		{p("engine/probe.work", "engine/probe.(*Probe).Packet"), StageCounters},
		{p("engine/probe.work", "engine/probe.(*Probe).Packet", "engine/probe.(*clockState).stampCommon"), StageCounters},
		{p("engine/probe.work", "engine/probe.(*Probe).Packet", "engine/probe.(*Probe).accountSet", "engine/probe.(*Probe).account"), StageCounters},
		{p("engine/probe.work", "engine/probe.(*Probe).Packet", "engine/probe.(*Probe).accountSet", "engine/probe.(*Probe).account", "engine/flow.(*Table).LookupPacket", "engine/flow.(*Table).lookup", "engine/flow.(*index).get"), StageFlowTable},
		{p("engine/probe.work", "engine/probe.(*Probe).Packet", "engine/probe.(*shard).dissect", "engine/dissect.(*Dissector).Dissect"), StageDissect},
		{p("engine/probe.work", "engine/probe.(*Probe).Packet", "engine/probe.(*Probe).accountSet", "engine/probe.(*Probe).account", "engine/tcpconn.(*Tracker).PacketHint", "engine/tcpconn.(*Tracker).packet"), StageTCP},
		{p("engine/pipeline.Run", "engine/pipeline.(*run).settle", "engine/probe.(*Workers).Close", "engine/probe.(*Workers).retire", "engine/probe.(*Workers).mergeRounds", "engine/probe.(*Workers).mergeRound", "engine/probe.(*Workers).replayOp", "engine/probe.(*recorder).replay", "engine/probe.(*defOnce).End", "engine/pdu.(*Sender).End", "engine/pdu.(*Sender).advance"), StagePDUEncode},
		// a lone probe: the same functions as before
		{p("engine/pipeline.(*run).feed", "engine/probe.(*Loop).Run", "engine/pipeline.(*run).feed.func7", "engine/probe.(*Probe).Packet", "engine/probe.(*Probe).accountSet", "engine/probe.(*Probe).account"), StageCounters},
		{p("engine/pipeline.(*run).feed", "engine/probe.(*Loop).Run"), StageCounters},
	}
	for _, c := range cases {
		if got := stageOf(c.stack); got != c.want {
			t.Errorf("%s: %s, want %s", strings.Join(c.stack, " -> "), got, c.want)
		}
	}
}

// TestSpeedStageList: docs/speed.md's list of stages (the table whose
// header is `| stage | ... |`) names every stage of the report, in its
// order, and no other.
func TestSpeedStageList(t *testing.T) {
	doc, err := os.ReadFile("../../docs/speed.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("^\\| `([^`]+)` \\|")
	var got []string
	in := false
	for _, line := range strings.Split(string(doc), "\n") {
		switch {
		case strings.HasPrefix(line, "| stage |"):
			in = true
		case in && !strings.HasPrefix(line, "|"):
			in = false
		case in:
			if m := row.FindStringSubmatch(line); m != nil {
				got = append(got, m[1])
			}
		}
	}
	if !slices.Equal(got, Stages) {
		t.Errorf("docs/speed.md's stage list:\n%q\nthe report's stages (engine/bench/stages.go):\n%q", got, Stages)
	}
}
