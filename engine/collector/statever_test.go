package collector

import (
	"bytes"
	"compress/gzip"
	"encoding/gob"
	"io"
	"os"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// TestRestoreVersion1: a checkpoint of state version 1, whose
// oneway_latency and oneway_loss rows held their key columns as fields of
// their own (before observe.OnewayKey), restores into this build: the
// collector then ends with exactly the rows of one that never stopped.
// testdata/state-v1.gob.gz is SaveState of labCollector at commit 6c7cdf5
// (stateVersion 1) after the first 242 of labPDUs' frames, drained after
// every 17th as TestCollectorStateRoundTrip runs them: 1 oneway_latency,
// 1 oneway_loss and 118 oneway_delays rows not drained yet.
func TestRestoreVersion1(t *testing.T) {
	const cut = 242
	cfg, frames := labPDUs(t)
	state := gunzip(t, "testdata/state-v1.gob.gz")
	run := func(c *Collector, frames [][]byte, all *observe.Batch) {
		for i, f := range frames {
			c.Handle(f)
			if i%17 == 16 {
				all.Append(c.Drain())
			}
		}
	}
	var whole observe.Batch
	c := labCollector(t, cfg)
	run(c, frames, &whole)
	whole.Append(c.Finish())

	var got observe.Batch
	run(labCollector(t, cfg), frames[:cut], &got) // the rows drained before the save
	b := labCollector(t, cfg)
	if err := b.RestoreState(state); err != nil {
		t.Fatal(err)
	}
	if len(b.batch.OnewayLatency) != 1 || len(b.batch.OnewayLoss) != 1 {
		t.Fatalf("restored %d oneway_latency and %d oneway_loss rows, want 1 and 1", len(b.batch.OnewayLatency), len(b.batch.OnewayLoss))
	}
	// the lab's one flow, as labConfig's class names it (granularity dst_addr,
	// dst_port); its path [A, B] places the pair at 0 and 1, which a state
	// saved before the hop indices did not hold
	want := observe.OnewayKey{Class: "telemetry", FlowID: 1, Flow: "*>198.51.100.10:9000", FromHop: "A", ToHop: "B", IntervalS: 1, ToHopIndex: 1}
	for _, k := range []observe.OnewayKey{b.batch.OnewayLatency[0].OnewayKey, b.batch.OnewayLoss[0].OnewayKey} {
		k.IntervalStart = 0
		if k != want {
			t.Errorf("restored key %+v, want %+v", k, want)
		}
	}
	run(b, frames[cut:], &got)
	got.Append(b.Finish())
	diffRows(t, rowSet(&got), rowSet(&whole))
}

// TestRestoreLaterVersion: a checkpoint of a layout after this build's is
// refused with its version, not decoded into the wrong fields.
func TestRestoreLaterVersion(t *testing.T) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&savedState{Version: stateVersion + 1}); err != nil {
		t.Fatal(err)
	}
	c, _ := New(nil, nil)
	err := c.RestoreState(buf.Bytes())
	if want := "collector: restore state: version 3, this build restores versions 1 to 2"; err == nil || err.Error() != want {
		t.Errorf("RestoreState = %v, want %q", err, want)
	}
}

func gunzip(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
