package store

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/fsync"
)

// ManifestName is the file that marks a folder as a tmonbench output and
// describes the run that produced it.
const ManifestName = "run.json"

// DatasetManifestName is the dataset manifest queries/dataset writes last
// into an output folder (files, row counts, time ranges, schema version).
const DatasetManifestName = "_manifest.json"

// Errors returned by BeginRun, Append, Finish and ReadManifest.
var (
	// ErrNotRunDir: --out exists, is not empty and holds no run.json, so it
	// is not a tmonbench output; it is never replaced or deleted.
	ErrNotRunDir = errors.New("store: refusing to replace a folder that is not a tmonbench output")
	// ErrOtherMode: --out is a tmonbench output this command may not
	// write into: one of the other kind (a collector's, for a replay; a
	// replay's, for a collector), or one no capture file stands behind (a
	// collector's or a live run's, for replay, merge and live itself:
	// Irreplaceable). It is left alone; the error names the earlier run's
	// mode.
	ErrOtherMode = errors.New("store: refusing to write into an existing tmonbench output")
	// ErrOutUnwritable: --out cannot be created or replaced (it is a file,
	// or its parent folder cannot be written).
	ErrOutUnwritable = errors.New("store: cannot write output folder")
	// ErrManifestUnreadable: --out holds a run.json that cannot be read
	// or parsed (permissions, garbage, a disk fault, not a regular file),
	// so whether it is a collector's or a live run's output, which is
	// never replaced (Irreplaceable), cannot be told: it is left alone, as
	// ErrOtherMode leaves such an output.
	ErrManifestUnreadable = errors.New("store: refusing to write into an output whose run.json cannot be read")
	// ErrRunDone: the Run was already committed or aborted.
	ErrRunDone = errors.New("store: run already committed or aborted")
)

// TableStats counts what a run wrote into one table folder.
type TableStats struct {
	Files int   `json:"files"` // Parquet part files
	Rows  int64 `json:"rows"`  // rows over all parts
	Bytes int64 `json:"bytes"` // file sizes summed, compressed
}

// Stats counts what a run wrote, per table name, for the end-of-run summary.
type Stats struct {
	Tables map[string]TableStats
	// Notable sums the warning and error events written (Write): what the
	// summary must not leave to the events table alone.
	Notable Notable
}

// Notable sums the warning and error events a run or an Appender wrote,
// by severity and kind.
type Notable map[EventKey]EventTotal

// EventKey is a severity and an event kind.
type EventKey struct{ Severity, Kind string }

// EventTotal sums the events of one EventKey: rows, and their counts
// (events.count: the things reported, 0 for an event that counts none).
type EventTotal struct {
	Events int64
	Count  uint64
	// Unwritten is how many of Events could not be written (an
	// Appender's Write of the events table failed: a full disk): they
	// are in no table, only in the log that said the write failed.
	// NoSpace: one such write failed for want of space (ENOSPC).
	Unwritten int64
	NoSpace   bool
}

// Keys returns n's keys, by severity ("error" before "warning"), then
// kind.
func (n Notable) Keys() []EventKey {
	keys := slices.Collect(maps.Keys(n))
	slices.SortFunc(keys, func(a, b EventKey) int {
		return cmp.Or(cmp.Compare(a.Severity, b.Severity), cmp.Compare(a.Kind, b.Kind))
	})
	return keys
}

// add sums the warning and error events into *n (made on first use).
func (n *Notable) add(events []observe.Event) { n.addWritten(events, nil) }

// addWritten is add for events whose write into the events table gave
// err: not nil, they are counted Unwritten too.
func (n *Notable) addWritten(events []observe.Event, err error) {
	for i := range events {
		e := &events[i]
		if e.Severity == observe.SevInfo {
			continue
		}
		if *n == nil {
			*n = Notable{}
		}
		k := EventKey{e.Severity, e.Kind}
		t := (*n)[k]
		t.Events++
		t.Count += e.Count
		if err != nil {
			t.Unwritten++
			t.NoSpace = t.NoSpace || errors.Is(err, syscall.ENOSPC)
		}
		(*n)[k] = t
	}
}

// Total sums the per-table counts.
func (s Stats) Total() TableStats {
	var t TableStats
	for _, ts := range s.Tables {
		t.Files += ts.Files
		t.Rows += ts.Rows
		t.Bytes += ts.Bytes
	}
	return t
}

// Names returns the table names written, sorted.
func (s Stats) Names() []string {
	names := make([]string, 0, len(s.Tables))
	for n := range s.Tables {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Manifest is the content of <out>/run.json: what produced the run. The
// caller fills everything but Tables, which Finish sets from the run's
// Stats. Times are set by the caller (engine code does not read the clock):
// Started before BeginRun, Finished with Run.SetFinished.
type Manifest struct {
	Tool string `json:"tool"` // "tmonbench" when left empty
	Mode string `json:"mode"` // ModeReplay, ModeCollector or ModeLive
	// Interrupted is true when the run was stopped (Ctrl-C, SIGTERM)
	// before the end of its input: its tables hold what was observed
	// until then.
	Interrupted bool `json:"interrupted,omitempty"`
	// State is StateRunning while the run is being written (queries
	// then say so and read what was written so far), empty once done.
	// PID is the writing process then (a dead PID means a killed run).
	State      string    `json:"state,omitempty"`
	PID        int       `json:"pid,omitempty"`
	Version    string    `json:"version"`     // tool version
	Command    []string  `json:"command"`     // command line, os.Args
	Inputs     []Input   `json:"inputs"`      // captures read, with sizes
	ConfigHash string    `json:"config_hash"` // hash of the effective config
	Started    time.Time `json:"started,omitzero"`
	// Resumed is when the process writing an appended output now (a
	// collector or live run restarted on it) started; zero while the
	// first one writes. Started stays the output's first start.
	Resumed  time.Time `json:"resumed,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
	// Tables gives per table the part files, rows and bytes: a replay's
	// what it wrote; an appended output's (live, collector) what its
	// folder holds, every run that appended to it included, from Close on
	// (null while it runs).
	Tables map[string]TableStats `json:"tables"`

	// Config is the effective configuration's text (config.RedactedYAML:
	// every default applied, each probe key replaced by "redacted", since
	// run.json is a file others read), so a run says what it ran.
	// ConfigHash (config.Hash) counts the keys as redacted too: it is the
	// hash of Config's text, and gives nothing to test a guessed key
	// against. A collector that
	// switches configuration (design 1.6) rewrites it, ConfigHash and
	// ConfigSince with the version in force (Appender.SetConfig).
	Config string `json:"config,omitempty"`
	// ConfigSince is when the configuration in force took effect; zero:
	// since Started.
	ConfigSince time.Time `json:"config_since,omitzero"`
	// Skipped are the files of a folder or glob argument that were not
	// captures (replay: each also an event capture_skipped), not in
	// Inputs; absent when none was.
	Skipped []Skipped `json:"skipped,omitempty"`
}

// StateRunning is Manifest.State while a run is being written.
const StateRunning = "running"

// Modes of a run: a replay replaces the folder as a whole; a collector
// appends to it as it goes. Neither writes into the other's folder. A
// live run (tmonbench live) writes as a collector does and replaces a
// previous replay's output as a replay does (OpenReplace); a collector does
// not append to it. The output of a collector or a live run is never
// replaced (Irreplaceable).
const (
	ModeReplay    = "replay"
	ModeCollector = "collector"
	ModeLive      = "live"
)

// Irreplaceable reports whether an output of mode can be replaced by a
// new run: a collector's and a live run's hold observations no capture
// file stands behind, so they are refused (ErrOtherMode) by BeginRun and
// OpenReplace, where a replay's can be made again from its captures.
func Irreplaceable(mode string) bool { return mode == ModeCollector || mode == ModeLive }

// refuseIrreplaceable returns the ErrOtherMode error for a run of mode by
// into out, whose previous run was old, or nil when it may be replaced.
func refuseIrreplaceable(out string, old Manifest, by string) error {
	if !Irreplaceable(old.Mode) {
		return nil
	}
	return fmt.Errorf("%w: %s is the output of tmonbench %s (observations no capture file stands behind); tmonbench %s will not replace it: choose another --out, or remove the folder first", ErrOtherMode, out, old.Mode, by)
}

// ReadManifest reads <out>/run.json. The error wraps fs.ErrNotExist when
// out has none; a run.json that is not one JSON object (null, [], garbage)
// is an error, never a zero Manifest.
func ReadManifest(out string) (Manifest, error) {
	path := filepath.Join(out, ManifestName)
	b, err := os.ReadFile(path)
	if err != nil {
		return Manifest{}, fmt.Errorf("store: %w", err) // *fs.PathError: "open <path>: <cause>"
	}
	m, err := decodeManifest(b)
	if err != nil {
		return Manifest{}, fmt.Errorf("store: %s %w", path, err)
	}
	return m, nil
}

// Run is one run being written: tables go into a hidden staging folder
// inside the output folder (Dir), whose run.json says the run is going, so
// queries can read what was written so far; Finish moves them in place of
// the previous run. Methods and Append are safe for concurrent use.
type Run struct {
	out        string // absolute output folder
	staging    string // absolute staging folder, <out>/.tmon-run-<pid>-XXXX
	createdOut bool   // out did not exist before BeginRun

	mu           sync.Mutex
	manifest     Manifest
	stats        Stats
	parts        map[string]int                 // parts written per table (Append: next part number)
	subParts     map[partDir]int                // next part number per table/partition folder
	dirs         map[partDir]string             // the table/partition folders made in staging, their paths
	open         map[partKey]*openPart          // parts Write is streaming into, per table and partition folder
	split        observe.Splitter               // Write's split of each table by partition (kept: no allocation a drain)
	manifestFile manifestFile                   // the staged run.json, written at each publish
	idle         map[*observe.Table][]*openPart // closed parts whose writers the next parts reuse (openPart.release)
	streamed     bool                           // Write was called: Finish gives every table a part
	done         bool
	// published is when Commit last made rows visible (zero until the
	// first rows: the schema-only parts of the start do not count).
	published time.Time
	lock      *outLock // held from BeginRun to Finish or Abort
	// moving is held by Finish while it moves the run into out, and
	// by Abandon for good: the process may exit from then on, out whole
	moving sync.Mutex
	moved  bool // Finish moved the run in (moving held to read it)
	// Stale lists the staging folders of killed runs BeginRun removed.
	Stale []string
	// PublishEvery is the least wall time between two Commits that make
	// the rows visible (DefaultPublishEvery when zero). Set it before the
	// first Write.
	PublishEvery time.Duration
	// PublishByCapture makes CommitAt publish by capture time, not wall
	// time (publish.go). Set it before the first Write.
	PublishByCapture  bool
	capFirst, capNext int64 // capture time of the first publish, and of the next due (CommitAt)
}

// BeginRun checks that out can receive a run and stages a new, empty run in
// a hidden folder inside it, <out>/.tmon-run-<pid>-XXXX, with a run.json
// saying "state": "running" (queries.Open reads a running run from there).
// out is created if missing; staging folders of killed runs are removed.
// Nothing else in out changes until Finish.
//
// Errors, before any work is done: ErrNotRunDir when out exists, is not
// empty and has no run.json (a user's folder: never touched); ErrOtherMode
// when it is a collector's or a live run's output (Irreplaceable);
// ErrManifestUnreadable when its run.json cannot be read, so its mode
// cannot be told; ErrBusy when another run holds its lock; ErrOutUnwritable
// (wrapped with the cause) when out is a file, is the root, or cannot be
// created or written. The mode is checked once out's lock is held (a
// collector that wrote out between a check and the lock would otherwise be
// replaced).
func BeginRun(out string, m Manifest) (*Run, error) {
	abs, state, old, err := resolveOut(out) // refuses a user's folder before a lock file is made in it
	if m.Mode == "" {
		m.Mode = ModeReplay
	}
	if err == nil {
		err = refuseIrreplaceable(out, old, m.Mode) // also when its collector runs, holding the lock
	}
	if err != nil {
		return nil, err
	}
	if m.Tool == "" {
		m.Tool = Application
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrOutUnwritable, out, err)
	}
	lock, err := lockOutFn(abs)
	if err != nil {
		if state == outAbsent {
			os.Remove(abs) // made for nothing (empty)
		}
		return nil, err
	}
	// Under the lock, no other tmonbench run changes out: what is there
	// now is what Finish replaces.
	_, old, err = checkOut(abs)
	if err == nil {
		err = refuseIrreplaceable(out, old, m.Mode)
	}
	if err != nil {
		lock.release()
		if state == outAbsent {
			os.Remove(abs)
		}
		return nil, err
	}
	stale := append(removeStale(abs), removeStaleInside(abs)...)
	staging, err := mkdirHidden(abs, stagingPrefix)
	r := &Run{out: abs, staging: staging, createdOut: state == outAbsent, manifest: m, stats: Stats{Tables: map[string]TableStats{}},
		parts: map[string]int{}, subParts: map[partDir]int{}, dirs: map[partDir]string{}, open: map[partKey]*openPart{}, idle: map[*observe.Table][]*openPart{}, lock: lock, Stale: stale}
	if err == nil {
		err = r.writeManifest(StateRunning)
	}
	if err != nil {
		r.Abort()
		return nil, fmt.Errorf("%w %s: cannot create a staging folder in it: %w", ErrOutUnwritable, out, err)
	}
	return r, nil
}

// writeManifest writes the staged run.json with the tables so far.
func (r *Run) writeManifest(state string) error {
	m := r.manifest
	m.Tables = r.stats.Tables // encoded at once, under r.mu (or before the Run is shared)
	m.State, m.PID = state, 0
	if state == StateRunning {
		m.PID = os.Getpid()
	}
	return r.manifestFile.write(r.staging, m)
}

// writeManifest writes dir/run.json atomically.
func writeManifest(dir string, m Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("store: encode manifest: %w", err)
	}
	b = append(b, '\n')
	if _, err := writeAtomic(filepath.Join(dir, ManifestName), func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	}); err != nil {
		return fmt.Errorf("store: write manifest: %w", err)
	}
	return nil
}

// resolveOut makes out absolute and follows a symlink at out itself, so that
// Finish replaces the folder it points to rather than the link, then
// classifies what is there (checkOut: the state, and the run.json of an
// outRun).
func resolveOut(out string) (string, outState, Manifest, error) {
	if out == "" {
		return "", 0, Manifest{}, fmt.Errorf("%w: empty path", ErrOutUnwritable)
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return "", 0, Manifest{}, fmt.Errorf("%w %s: %w", ErrOutUnwritable, out, err)
	}
	if fi, err := os.Lstat(abs); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if abs, err = filepath.EvalSymlinks(abs); err != nil {
			return "", 0, Manifest{}, fmt.Errorf("%w %s: %w", ErrOutUnwritable, out, err)
		}
	}
	if filepath.Dir(abs) == abs {
		return "", 0, Manifest{}, fmt.Errorf("%w %s: it is a filesystem root", ErrOutUnwritable, out)
	}
	state, m, err := checkOut(abs)
	return abs, state, m, err
}

// outState says what checkOut found at the output path.
type outState int

const (
	outAbsent outState = iota // nothing there
	outEmpty                  // an empty folder
	outRun                    // a folder holding run.json
)

// checkOut classifies out, with the run.json of an outRun (the zero
// Manifest otherwise); anything but a missing path, an empty folder or a
// folder with a run.json tmonbench wrote is an error. A run.json that
// cannot be read is ErrManifestUnreadable, never a folder without one:
// its mode is unknown.
func checkOut(out string) (outState, Manifest, error) {
	fi, err := os.Stat(out)
	if errors.Is(err, fs.ErrNotExist) {
		return outAbsent, Manifest{}, nil
	}
	if err != nil {
		return 0, Manifest{}, fmt.Errorf("%w %s: %w", ErrOutUnwritable, out, err)
	}
	if !fi.IsDir() {
		return 0, Manifest{}, fmt.Errorf("%w %s: it is a file, not a folder", ErrOutUnwritable, out)
	}
	if _, err := os.Lstat(filepath.Join(out, ManifestName)); !errors.Is(err, fs.ErrNotExist) {
		m, err := checkRunDir(out)
		if err != nil {
			return 0, Manifest{}, err
		}
		return outRun, m, nil
	}
	ents, err := os.ReadDir(out)
	if err != nil {
		return 0, Manifest{}, fmt.Errorf("%w %s: %w", ErrOutUnwritable, out, err)
	}
	if !slices.ContainsFunc(ents, func(e fs.DirEntry) bool { return e.Name() != LockName && (!e.IsDir() || !ours(e.Name())) }) {
		return outEmpty, Manifest{}, nil // empty, or only the staging folder of a first run
	}
	return 0, Manifest{}, fmt.Errorf("%w: %s holds files but no %s; choose another --out or empty it", ErrNotRunDir, out, ManifestName)
}

// checkRunDir reads out's run.json and refuses a folder whose run.json
// cannot be read (ErrManifestUnreadable), that tmonbench did not write, or
// that holds anything besides run.json and table folders of Parquet
// parts (ErrNotRunDir): replacing it must never delete a user's files.
func checkRunDir(out string) (Manifest, error) {
	m, err := readRunManifest(out)
	if err != nil {
		return Manifest{}, err
	}
	if m.Tool != Application {
		return Manifest{}, fmt.Errorf("%w: %s has a %s that tmonbench did not write; choose another --out", ErrNotRunDir, out, ManifestName)
	}
	ents, err := os.ReadDir(out)
	if err != nil {
		return Manifest{}, fmt.Errorf("%w %s: %w", ErrOutUnwritable, out, err)
	}
	var foreign []string
	for _, e := range ents {
		name := e.Name()
		if name == ManifestName || name == LockName || (e.IsDir() && (name == JournalDir || ours(name))) {
			continue
		}
		if name == DatasetManifestName || (strings.HasPrefix(name, ".") && (strings.HasSuffix(name, ".tmp") || strings.HasSuffix(name, ".old"))) {
			continue // the dataset manifest; a rewrite's leftovers (written beside the folder it replaces)
		}
		if !e.IsDir() || checkTable(name) != nil {
			foreign = append(foreign, name)
			continue
		}
		if err := foreignParts(out, name, &foreign); err != nil {
			return Manifest{}, fmt.Errorf("%w %s: %w", ErrOutUnwritable, out, err)
		}
	}
	if len(foreign) > 0 {
		if len(foreign) > 5 {
			foreign = append(foreign[:5], "...")
		}
		return Manifest{}, fmt.Errorf("%w: %s holds files tmonbench did not write (%s); choose another --out", ErrNotRunDir, out, strings.Join(foreign, ", "))
	}
	return m, nil
}

// foreignParts adds to foreign what the table folder rel (relative to out)
// holds that tmonbench did not write: anything but part-*.parquet files,
// hidden .tmp files and Hive partition folders (key=value) holding the same.
func foreignParts(out, rel string, foreign *[]string) error {
	parts, err := os.ReadDir(filepath.Join(out, rel))
	if err != nil {
		return err
	}
	for _, p := range parts {
		pn := p.Name()
		switch {
		case p.IsDir() && strings.Contains(pn, "=") && !strings.HasPrefix(pn, "."):
			if err := foreignParts(out, filepath.Join(rel, pn), foreign); err != nil {
				return err
			}
		case !p.IsDir() && ((strings.HasPrefix(pn, "part-") && strings.HasSuffix(pn, ".parquet")) || (strings.HasPrefix(pn, ".") && strings.HasSuffix(pn, ".tmp"))):
		default:
			*foreign = append(*foreign, filepath.Join(rel, pn))
		}
	}
	return nil
}

// Dir returns the staging folder where tables are written until Finish
// (pass it to Write, or use Append). It is not the final path.
func (r *Run) Dir() string { return r.staging }

// CountTables sets what run.json's "tables" gives (the run's Stats) from
// what the table folders of Dir hold (FolderStats), for a run whose parts
// another writer put there, which Write never counted: merge's, written by
// DuckDB. Tables left empty count as written, with 0 files.
func (r *Run) CountTables() {
	stats := FolderStats(r.staging)
	r.mu.Lock()
	defer r.mu.Unlock()
	maps.Copy(r.stats.Tables, stats)
}

// Out returns the absolute output folder Finish will replace.
func (r *Run) Out() string { return r.out }

// SetInterrupted marks the run as stopped before the end of its input
// (run.json "interrupted": true).
func (r *Run) SetInterrupted() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.manifest.Interrupted = true
}

// SetFinished records the run's end time in the manifest (capture or wall
// time, chosen by the caller).
func (r *Run) SetFinished(t time.Time) {
	r.mu.Lock()
	r.manifest.Finished = t
	r.mu.Unlock()
}

// Stats returns a copy of what the run has written so far.
func (r *Run) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats.clone()
}

func (s Stats) clone() Stats {
	c := Stats{Tables: make(map[string]TableStats, len(s.Tables)), Notable: maps.Clone(s.Notable)}
	maps.Copy(c.Tables, s.Tables)
	return c
}

// Append writes rows as the next part file of table in the run (part-00000,
// part-00001, ... in call order) and counts them in the run's Stats. Call it
// once per table with an empty slice to create a table that has no rows.
// Errors: ErrRunDone, and those of Write.
func Append[T any](r *Run, table string, rows []T) (path string, err error) {
	r.mu.Lock()
	if r.done {
		r.mu.Unlock()
		return "", ErrRunDone
	}
	part := r.parts[table]
	r.parts[table] = part + 1 // reserve, so concurrent appends get distinct parts
	r.mu.Unlock()

	path, size, err := write(r.staging, table, part, rows)
	if err != nil {
		return "", err
	}
	r.count(table, len(rows), size)
	return path, nil
}

// Write implements observe.Sink: it appends the rows of every table of b
// to that table's open part file, which is closed (and the next one
// started) once it holds PartRows rows or at the next publishing Commit. A
// table without rows and without a file yet gets a schema-only part at once,
// so every table's view exists from the first Write (Finish removes it if
// the table got rows later). b is not kept.
func (r *Run) Write(b *observe.Batch) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return ErrRunDone
	}
	r.streamed = true
	r.stats.Notable.add(b.Events)
	var errs []error
	for _, t := range observe.Tables {
		if t.Len(b) == 0 {
			if err := r.schemaOnlyLocked(t); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		r.parts[t.Name]++
		for _, p := range r.split.Split(t, b) {
			key := partKey{t, p.Dir}
			op := r.open[key]
			if op == nil {
				var err error
				if op, err = r.openTablePart(t, p.Dir); err != nil {
					errs = append(errs, err)
					continue
				}
				r.open[key] = op
			}
			if err := op.write(p.Batch); err != nil {
				errs = append(errs, err)
				continue
			}
			if op.rows >= partRows {
				delete(r.open, key)
				size, err := op.close()
				if err != nil {
					errs = append(errs, err)
					continue
				}
				r.countLocked(t.Name, op.rows, size)
				op.release(r.idle)
			}
		}
	}
	r.split.Clear() // b's rows are not kept
	return errors.Join(errs...)
}

// count adds one part of n rows and size bytes to the table's stats.
func (r *Run) count(table string, n int, size int64) {
	r.mu.Lock()
	r.countLocked(table, n, size)
	r.mu.Unlock()
}

func (r *Run) countLocked(table string, n int, size int64) {
	ts := r.stats.Tables[table]
	ts.Files++
	ts.Rows += int64(n)
	ts.Bytes += size
	r.stats.Tables[table] = ts
}

// Finish writes the final run.json into the staged run and moves the run
// in place of the previous one in the output folder: the previous tables
// and run.json go aside into a hidden folder, the staged tables move in,
// run.json last, and the previous run is removed. The output folder's
// content is re-checked first: ErrNotRunDir if a file tmonbench did not
// write appeared there since BeginRun (it is never deleted). After an
// error the staged run is kept until Abort.
func (r *Run) Finish() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return ErrRunDone
	}
	if err := r.closeParts(); err != nil {
		return err
	}
	r.idle = map[*observe.Table][]*openPart{} // no more parts: their buffers go
	r.pruneSchemaOnly()
	// One sync of the whole staging folder (the parts Write streamed are
	// not fsynced one by one) before the manifest marks the run whole.
	if err := syncTree(r.staging); err != nil {
		return fmt.Errorf("store: sync %s: %w", r.staging, err)
	}
	if err := r.writeManifest(""); err != nil {
		return err
	}
	if err := fsync.Dir(r.staging); err != nil {
		return fmt.Errorf("store: fsync %s: %w", r.staging, err)
	}
	if _, prev, err := checkOut(r.out); err != nil {
		return err
	} else if err := refuseIrreplaceable(r.out, prev, r.manifest.Mode); err != nil {
		return err
	}
	r.moving.Lock()
	defer r.moving.Unlock()
	old, err := mkdirHidden(r.out, oldPrefix)
	if err != nil {
		return fmt.Errorf("%w %s: %w", ErrOutUnwritable, r.out, err)
	}
	if err := moveEntries(r.out, old, false); err != nil {
		moveEntries(old, r.out, false) // put the previous run back
		os.Remove(old)
		return fmt.Errorf("%w %s: %w", ErrOutUnwritable, r.out, err)
	}
	if err := moveEntries(r.staging, r.out, true); err != nil {
		return fmt.Errorf("%w %s: %w (previous run kept in %s)", ErrOutUnwritable, r.out, err, old)
	}
	if err := os.Rename(filepath.Join(r.staging, ManifestName), filepath.Join(r.out, ManifestName)); err != nil {
		return fmt.Errorf("%w %s: %w (previous run kept in %s)", ErrOutUnwritable, r.out, err, old)
	}
	r.done, r.moved = true, true
	defer r.lock.release()
	serr := syncDirErr(r.out)
	os.Remove(r.staging)
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("store: run committed to %s; cannot remove previous run %s: %w", r.out, old, err)
	}
	return serr
}

// moveEntries renames the entries of from into to: the table folders and
// (unless tablesOnly) run.json; hidden run folders and the lock file (held
// by the caller) are left alone.
func moveEntries(from, to string, tablesOnly bool) error {
	ents, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range ents {
		n := e.Name()
		if ours(n) || n == LockName || (tablesOnly && n == ManifestName) {
			continue
		}
		if err := os.Rename(filepath.Join(from, n), filepath.Join(to, n)); err != nil {
			return err
		}
	}
	return nil
}

func syncDirErr(dir string) error {
	if err := fsync.Dir(dir); err != nil {
		return fmt.Errorf("store: fsync %s: %w", dir, err)
	}
	return nil
}

// Abort removes the staging folder (and the output folder if BeginRun
// created it and it is empty again), leaving any previous run in place. It
// is a no-op after Finish or a previous Abort, so `defer run.Abort()` is
// safe.
func (r *Run) Abort() error {
	return once(&r.mu, &r.done, func() error {
		defer r.lock.release()
		for _, op := range r.open {
			op.f.Close()
		}
		var err error
		if r.staging != "" {
			if err = os.RemoveAll(r.staging); err != nil {
				err = fmt.Errorf("store: remove staging folder: %w", err)
			}
		}
		if r.createdOut {
			r.lock.release() // its file is in out
			os.Remove(r.out) // only if empty
		}
		return err
	})
}
