package store

import (
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// TestNotable: a run (Write) and an Appender (the collector's and live's
// sink: Write and WritePlan) sum the warning and error events they write
// by severity and kind, for the command's summary; info events are left
// out; Keys orders errors first. (The collector and live printed none of
// them: a review.)
func TestNotable(t *testing.T) {
	b := &observe.Batch{Events: []observe.Event{
		{Kind: "flows_evicted", Severity: observe.SevWarning, Count: 3},
		{Kind: "flows_evicted", Severity: observe.SevWarning, Count: 4},
		{Kind: "capture_time_jump", Severity: observe.SevWarning, Count: 1},
		{Kind: "pdu_undelivered", Severity: observe.SevError, Count: 0},
		{Kind: "probe_start", Severity: observe.SevInfo, Count: 0},
	}}
	want := Notable{
		{observe.SevWarning, "flows_evicted"}:     {Events: 2, Count: 7},
		{observe.SevWarning, "capture_time_jump"}: {Events: 1, Count: 1},
		{observe.SevError, "pdu_undelivered"}:     {Events: 1, Count: 0},
	}
	keys := []EventKey{{observe.SevError, "pdu_undelivered"}, {observe.SevWarning, "capture_time_jump"}, {observe.SevWarning, "flows_evicted"}}

	r, err := BeginRun(filepath.Join(t.TempDir(), "run"), Manifest{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Abort()
	if err := r.Write(b); err != nil {
		t.Fatal(err)
	}
	if got := r.Stats().Notable; !maps.Equal(got, want) || !slices.Equal(got.Keys(), keys) {
		t.Errorf("run: %v (keys %v), want %v (%v)", got, got.Keys(), want, keys)
	}

	a, err := OpenAppend(filepath.Join(t.TempDir(), "col"), Manifest{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Write(&observe.Batch{Events: b.Events[:3]}); err != nil {
		t.Fatal(err)
	}
	rest := &observe.Batch{Events: b.Events[3:]}
	if err := a.WritePlan(rest, a.Plan(rest)); err != nil {
		t.Fatal(err)
	}
	if got := a.Notable(); !maps.Equal(got, want) {
		t.Errorf("appender: %v, want %v", got, want)
	}
}
