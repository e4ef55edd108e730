package queries

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// stagingPrefix starts the hidden folder inside an output folder where a
// running replay writes its tables (engine/store's StagingPrefix, repeated
// here because queries/ imports no engine package but observe).
const stagingPrefix = ".tmon-run-"

// oldPrefix starts the folder a finishing replay moves the previous run
// into before moving its own tables in place (store.Run.Finish; engine/
// store's OldPrefix, repeated as stagingPrefix is: TestPrefixesAreStores).
const oldPrefix = ".tmon-old-"

// RunState says whether an output folder is still being written.
type RunState struct {
	// Running is set while a replay or a collector writes the output:
	// queries then see the rows written so far.
	Running bool
	Mode    string    // "replay", "collector" or "live" (run.json mode)
	PID     int       // the writing process
	Started time.Time // when the writing process started: run.json resumed, else started
	// Dir is the folder holding the tables being read: the output folder,
	// or a running replay's staging folder inside it.
	Dir string
	// Abandoned are the runs into outDir whose process is gone without
	// finishing them (killed, crashed).
	Abandoned []Abandoned
	// Finishing is set while a live process moves a finished run's tables
	// into outDir (store.Run.Finish): for a moment outDir may hold neither
	// the previous run nor the new one.
	Finishing bool
}

// Abandoned is a run whose run.json still says running while its process
// is gone.
type Abandoned struct {
	Mode    string    // "replay", "collector" or "live"
	PID     int       // the process that was writing
	Started time.Time // run.json started
	// Staged: a replay's staging folder, whose rows are not in the
	// output's tables (those are of the last replay that finished); else
	// an appending run (collector, live), whose rows written before it
	// stopped are.
	Staged bool
}

// manifest is the part of run.json State and RunID read.
type manifest struct {
	Mode    string    `json:"mode"`
	State   string    `json:"state"`
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
	Resumed time.Time `json:"resumed"`
	Command []string  `json:"command"`
}

// since is when the process writing the output started: a restarted
// collector's or live run's resumed time, else the output's start.
func (m manifest) since() time.Time {
	if !m.Resumed.IsZero() {
		return m.Resumed
	}
	return m.Started
}

// readManifest reads dir/run.json; false when it is missing or does not
// parse.
func readManifest(dir string) (manifest, bool) {
	var m manifest
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil || json.Unmarshal(b, &m) != nil {
		return m, false
	}
	return m, true
}

// RunID names the run <outDir>/run.json describes: its mode, start time
// and command line, which a collector's or live run's appends keep (they
// rewrite run.json with the rows so far) and a new run changes. It reads
// the folder's own run.json, not a running replay's staging folder: a
// replay replacing the output counts once it has finished (its run.json
// moved in). ok is false when outDir has no readable run.json (not
// written yet, or between a replay's renames).
func RunID(outDir string) (id string, ok bool) {
	m, ok := readManifest(outDir)
	if !ok {
		return "", false
	}
	return m.Mode + "\x00" + m.Started.Format(time.RFC3339Nano) + "\x00" + strings.Join(m.Command, "\x00"), true
}

// State tells whether outDir is being written: a running replay stages
// its tables in <outDir>/.tmon-run-<pid>-*/ with a run.json saying
// "state": "running"; a running collector's run.json at the top says so.
// A run whose process is gone (killed) is not running. Without a running
// run, Dir is outDir.
func State(outDir string) RunState {
	abs, err := filepath.Abs(outDir)
	if err != nil {
		abs = outDir
	}
	st := RunState{Dir: abs}
	ents, _ := os.ReadDir(abs)
	for _, e := range ents {
		if e.IsDir() && (strings.HasPrefix(e.Name(), stagingPrefix) || strings.HasPrefix(e.Name(), oldPrefix)) && alive(folderPID(e.Name())) {
			st.Finishing = true // unless running, found below
		}
		if e.IsDir() && strings.HasPrefix(e.Name(), stagingPrefix) {
			dir := filepath.Join(abs, e.Name())
			if m, ok := running(dir); ok {
				return RunState{Running: true, Mode: m.Mode, PID: m.PID, Started: m.since(), Dir: dir}
			}
			if m, ok := readManifest(dir); ok && m.State == "running" {
				st.Abandoned = append(st.Abandoned, Abandoned{Mode: m.Mode, PID: m.PID, Started: m.Started, Staged: true})
			}
		}
	}
	if m, ok := running(abs); ok {
		return RunState{Running: true, Mode: m.Mode, PID: m.PID, Started: m.since(), Dir: abs}
	}
	if m, ok := readManifest(abs); ok && m.State == "running" {
		st.Abandoned = append(st.Abandoned, Abandoned{Mode: m.Mode, PID: m.PID, Started: m.Started})
	}
	return st
}

// folderPID returns the pid in a staging or old-run folder's name
// (.tmon-run-<pid>-XXXX, .tmon-old-<pid>-XXXX), or 0.
func folderPID(name string) int {
	name = strings.TrimPrefix(strings.TrimPrefix(name, stagingPrefix), oldPrefix)
	pid, _, _ := strings.Cut(name, "-")
	n, err := strconv.Atoi(pid)
	if err != nil {
		return 0
	}
	return n
}

// running reads dir/run.json and reports a run still going.
func running(dir string) (manifest, bool) {
	m, ok := readManifest(dir)
	return m, ok && m.State == "running" && alive(m.PID)
}

// alive reports whether process pid exists.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// FlowRowWhen is when a flow's row is written into flows, said wherever
// an empty flows table (or a flow without its row) is explained: by
// `tmonbench query`'s notes (cmd/tmonbench: noFlowReason) and by the TUI
// (its Overview, a flow's detail), one sentence in the same words.
const FlowRowWhen = "a flow's row is written when it ends: idle, evicted or at the end of the run"

// RunWhat names a running run's mode (run.json's) for a note: replay,
// collector, live capture; "run" when the mode is not known ("").
func RunWhat(mode string) string {
	switch mode {
	case "live":
		return "live capture"
	case "":
		return "run"
	}
	return mode
}

// StillGoing says that the run st describes is still writing the output:
// "the collector writing it is still going".
func (st RunState) StillGoing() string {
	return "the " + RunWhat(st.Mode) + " writing it is still going"
}

// NoFlowYet is why flows holds no row while the run st describes goes:
// "no flow has ended yet: the collector writing it is still going
// (FlowRowWhen)".
func (st RunState) NoFlowYet() string {
	return "no flow has ended yet: " + st.StillGoing() + " (" + FlowRowWhen + ")"
}
