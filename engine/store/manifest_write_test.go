package store

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/testenv"
)

// TestManifestFileBytes: the run.json manifestFile writes (its tables
// encoded by hand into the encoder's output) is byte for byte
// json.MarshalIndent(m, "", "  ") and a newline, what writeManifest
// writes, whatever the tables: none (null), empty, several, a name JSON
// escapes, and a configuration text holding the very line the tables
// replace.
func TestManifestFileBytes(t *testing.T) {
	full := testManifest()
	full.Mode, full.Tool, full.Interrupted, full.State, full.PID = ModeReplay, Application, true, StateRunning, 4242
	full.Resumed = time.Unix(1700000100, 5).UTC()
	full.Finished = time.Unix(1700000200, 123456789).UTC()
	full.ConfigSince = time.Unix(1700000050, 0).In(time.FixedZone("x", 3600))
	full.Config = "probes:\n  - name: <a & b>\u2028\n  \"tables\": null\n\t\"x\"\\"
	cases := map[string]map[string]TableStats{
		"nil":   nil,
		"empty": {},
		"one":   {"flows": {Files: 1, Rows: 2, Bytes: 3}},
		"many": {"flows": {Files: 3, Rows: 197210, Bytes: 1337558}, "events": {Files: 2, Rows: 11, Bytes: 4901},
			"flow_counters": {}, "a b/\u00e9<": {Files: -1, Rows: -2, Bytes: 1 << 40}, "x.y-z_0": {Files: 7}},
	}
	dir := t.TempDir()
	var w manifestFile
	for _, base := range []Manifest{{}, testManifest(), full} {
		for name, tables := range cases {
			m := base
			m.Tables = tables
			want, err := json.MarshalIndent(m, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, '\n')
			if err := w.write(dir, m); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(dir, ManifestName))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("tables %s: run.json\n%s\nwant (MarshalIndent)\n%s", name, got, want)
			}
			if m.Tables != nil && len(m.Tables) != len(tables) {
				t.Error("write changed the tables")
			}
		}
	}
}

// TestPublishManifestAllocs: a publishing Commit's run.json is written
// with the memory of the one before (manifestFile): 53 allocations with
// json.MarshalIndent of a copy of the run's Stats (27 of them the 13
// tables' map), 16 now (the timestamps' MarshalJSON, the temporary file
// and the folder's fsync).
func TestPublishManifestAllocs(t *testing.T) {
	var b observe.Batch
	fillRows(&b, 1)
	r := beginTestRun(t)
	if err := r.Write(&b); err != nil {
		t.Fatal(err)
	}
	if err := r.Commit(); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n := testing.AllocsPerRun(20, func() {
		if err := r.writeManifest(StateRunning); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("%v allocations a run.json of %d tables", n, len(r.stats.Tables))
	if n > 20 && !testenv.Race { // -race: testenv.Race
		t.Errorf("a publish's run.json of %d tables allocates %v times, want at most 20 (53 with MarshalIndent of a copy)", len(r.stats.Tables), n)
	}
	m, err := readRunManifest(r.staging)
	if err != nil || m.Tables[observe.TableFlows].Rows != 1 || m.State != StateRunning {
		t.Errorf("run.json read back: %+v, %v", m.Tables, err)
	}
}
