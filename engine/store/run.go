package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// ManifestName is the file that marks a folder as a tmonbench output and
// describes the run that produced it.
const ManifestName = "run.json"

// Errors returned by BeginRun, Append, Commit and ReadManifest.
var (
	// ErrNotRunDir: --out exists, is not empty and holds no run.json, so it
	// is not a tmonbench output; it is never replaced or deleted.
	ErrNotRunDir = errors.New("store: refusing to replace a folder that is not a tmonbench output")
	// ErrOutUnwritable: --out cannot be created or replaced (it is a file,
	// or its parent folder cannot be written).
	ErrOutUnwritable = errors.New("store: cannot write output folder")
	// ErrRunDone: the Run was already committed or aborted.
	ErrRunDone = errors.New("store: run already committed or aborted")
)

// Input is one capture (or other input) the run read.
type Input struct {
	Path      string `json:"path"`
	SizeBytes int64  `json:"size_bytes"`
}

// TableStats counts what a run wrote into one table folder.
type TableStats struct {
	Files int   `json:"files"` // Parquet part files
	Rows  int64 `json:"rows"`  // rows over all parts
	Bytes int64 `json:"bytes"` // file sizes summed, compressed
}

// Stats counts what a run wrote, per table name, for the end-of-run summary.
type Stats struct {
	Tables map[string]TableStats
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
// caller fills everything but Tables, which Commit sets from the run's
// Stats. Times are set by the caller (engine code does not read the clock):
// Started before BeginRun, Finished with Run.SetFinished.
type Manifest struct {
	Tool string `json:"tool"` // "tmonbench" when left empty
	Mode string `json:"mode"` // ModeReplay or ModeCollector
	// Interrupted is true when the run was stopped (Ctrl-C, SIGTERM)
	// before the end of its input: its tables hold what was observed
	// until then.
	Interrupted bool                  `json:"interrupted,omitempty"`
	Version     string                `json:"version"`     // tool version
	Command     []string              `json:"command"`     // command line, os.Args
	Inputs      []Input               `json:"inputs"`      // captures read, with sizes
	ConfigHash  string                `json:"config_hash"` // hash of the effective config
	Started     time.Time             `json:"started,omitzero"`
	Finished    time.Time             `json:"finished,omitzero"`
	Tables      map[string]TableStats `json:"tables"` // per table: files, rows, bytes
}

// Modes of a run: a replay replaces the folder as a whole; a collector
// appends to it as it goes. Neither writes into the other's folder.
const (
	ModeReplay    = "replay"
	ModeCollector = "collector"
)

// ReadManifest reads <out>/run.json. The error wraps fs.ErrNotExist when
// out has none.
func ReadManifest(out string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(out, ManifestName))
	if err != nil {
		return m, fmt.Errorf("store: read manifest: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("store: parse %s: %w", filepath.Join(out, ManifestName), err)
	}
	return m, nil
}

// Run is one run being written: tables go into a staging folder (Dir) that
// Commit swaps in place of the output folder, so <out> always holds one
// whole run. Methods and Append are safe for concurrent use.
type Run struct {
	out     string // absolute output folder
	staging string // absolute staging folder, sibling of out

	mu       sync.Mutex
	manifest Manifest
	stats    Stats
	parts    map[string]int // next part number per table
	done     bool
}

// BeginRun checks that out can receive a run and stages a new, empty run in
// a sibling folder <out>.tmp-XXXX (same filesystem, so Commit can rename).
// The parent of out is created if missing. Nothing in out changes until
// Commit.
//
// Errors, before any work is done: ErrNotRunDir when out exists, is not
// empty and has no run.json (a user's folder: never touched);
// ErrOutUnwritable (wrapped with the cause) when out is a file, is the root,
// or its parent cannot be created or written.
func BeginRun(out string, m Manifest) (*Run, error) {
	abs, err := resolveOut(out)
	if err != nil {
		return nil, err
	}
	state, err := checkOut(abs)
	if err != nil {
		return nil, err
	}
	if state == outRun {
		if old, err := ReadManifest(abs); err == nil && old.Mode == ModeCollector {
			return nil, fmt.Errorf("%w: %s is the output of a collector (tmonbench collector); a replay will not replace it: choose another --out", ErrNotRunDir, out)
		}
	}
	if m.Mode == "" {
		m.Mode = ModeReplay
	}
	parent := filepath.Dir(abs)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrOutUnwritable, out, err)
	}
	staging, err := os.MkdirTemp(parent, filepath.Base(abs)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("%w %s: cannot create a staging folder beside it: %w", ErrOutUnwritable, out, err)
	}
	if err := os.Chmod(staging, 0o755); err != nil { // MkdirTemp makes 0700
		os.Remove(staging)
		return nil, fmt.Errorf("%w %s: %w", ErrOutUnwritable, out, err)
	}
	if m.Tool == "" {
		m.Tool = Application
	}
	return &Run{
		out:      abs,
		staging:  staging,
		manifest: m,
		stats:    Stats{Tables: map[string]TableStats{}},
		parts:    map[string]int{},
	}, nil
}

// resolveOut makes out absolute and follows a symlink at out itself, so that
// Commit replaces the folder it points to rather than the link.
func resolveOut(out string) (string, error) {
	if out == "" {
		return "", fmt.Errorf("%w: empty path", ErrOutUnwritable)
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return "", fmt.Errorf("%w %s: %w", ErrOutUnwritable, out, err)
	}
	if fi, err := os.Lstat(abs); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if abs, err = filepath.EvalSymlinks(abs); err != nil {
			return "", fmt.Errorf("%w %s: %w", ErrOutUnwritable, out, err)
		}
	}
	if filepath.Dir(abs) == abs {
		return "", fmt.Errorf("%w %s: it is a filesystem root", ErrOutUnwritable, out)
	}
	return abs, nil
}

// outState says what checkOut found at the output path.
type outState int

const (
	outAbsent outState = iota // nothing there
	outEmpty                  // an empty folder
	outRun                    // a folder holding run.json
)

// checkOut classifies out; anything but a missing path, an empty folder or
// a folder with run.json is an error.
func checkOut(out string) (outState, error) {
	fi, err := os.Stat(out)
	if errors.Is(err, fs.ErrNotExist) {
		return outAbsent, nil
	}
	if err != nil {
		return 0, fmt.Errorf("%w %s: %w", ErrOutUnwritable, out, err)
	}
	if !fi.IsDir() {
		return 0, fmt.Errorf("%w %s: it is a file, not a folder", ErrOutUnwritable, out)
	}
	if fi, err := os.Stat(filepath.Join(out, ManifestName)); err == nil && fi.Mode().IsRegular() {
		if err := checkRunDir(out); err != nil {
			return 0, err
		}
		return outRun, nil
	}
	d, err := os.Open(out)
	if err != nil {
		return 0, fmt.Errorf("%w %s: %w", ErrOutUnwritable, out, err)
	}
	defer d.Close()
	if _, err := d.Readdirnames(1); errors.Is(err, io.EOF) {
		return outEmpty, nil
	} else if err != nil {
		return 0, fmt.Errorf("%w %s: %w", ErrOutUnwritable, out, err)
	}
	return 0, fmt.Errorf("%w: %s holds files but no %s; choose another --out or empty it", ErrNotRunDir, out, ManifestName)
}

// checkRunDir refuses a folder with a run.json that tmonbench did not
// write, or that holds anything besides run.json and table folders of
// Parquet parts: replacing it must never delete a user's files.
func checkRunDir(out string) error {
	m, err := ReadManifest(out)
	if err != nil || m.Tool != Application {
		return fmt.Errorf("%w: %s has a %s that tmonbench did not write; choose another --out", ErrNotRunDir, out, ManifestName)
	}
	ents, err := os.ReadDir(out)
	if err != nil {
		return fmt.Errorf("%w %s: %w", ErrOutUnwritable, out, err)
	}
	var foreign []string
	for _, e := range ents {
		name := e.Name()
		if name == ManifestName {
			continue
		}
		if !e.IsDir() || checkTable(name) != nil {
			foreign = append(foreign, name)
			continue
		}
		parts, err := os.ReadDir(filepath.Join(out, name))
		if err != nil {
			return fmt.Errorf("%w %s: %w", ErrOutUnwritable, out, err)
		}
		for _, p := range parts {
			pn := p.Name()
			ours := !p.IsDir() && ((strings.HasPrefix(pn, "part-") && strings.HasSuffix(pn, ".parquet")) || (strings.HasPrefix(pn, ".") && strings.HasSuffix(pn, ".tmp")))
			if !ours {
				foreign = append(foreign, filepath.Join(name, pn))
			}
		}
	}
	if len(foreign) > 0 {
		if len(foreign) > 5 {
			foreign = append(foreign[:5], "...")
		}
		return fmt.Errorf("%w: %s holds files tmonbench did not write (%s); choose another --out", ErrNotRunDir, out, strings.Join(foreign, ", "))
	}
	return nil
}

// Dir returns the staging folder where tables are written until Commit
// (pass it to Write, or use Append). It is not the final path.
func (r *Run) Dir() string { return r.staging }

// Out returns the absolute output folder Commit will replace.
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
	c := Stats{Tables: make(map[string]TableStats, len(s.Tables))}
	for k, v := range s.Tables {
		c.Tables[k] = v
	}
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
	r.mu.Lock()
	ts := r.stats.Tables[table]
	ts.Files++
	ts.Rows += int64(len(rows))
	ts.Bytes += size
	r.stats.Tables[table] = ts
	r.mu.Unlock()
	return path, nil
}

// Commit writes run.json into the staged run and puts the run in place of
// the output folder, then removes the previous run, if any. On Linux the
// swap is one atomic renameat2(RENAME_EXCHANGE); elsewhere, or on
// filesystems without it, the old folder is renamed aside and the new one
// renamed in (a crash between the two leaves no <out>, never a mix).
// Output folder contents are re-checked first: ErrNotRunDir if a foreign
// folder appeared there since BeginRun. After an error the staged run is
// kept until Abort.
func (r *Run) Commit() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return ErrRunDone
	}
	m := r.manifest
	m.Tables = r.stats.clone().Tables
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("store: encode manifest: %w", err)
	}
	b = append(b, '\n')
	if _, err := writeAtomic(filepath.Join(r.staging, ManifestName), func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	}); err != nil {
		return fmt.Errorf("store: write manifest: %w", err)
	}
	if err := syncDir(r.staging); err != nil {
		return fmt.Errorf("store: fsync %s: %w", r.staging, err)
	}

	state, err := checkOut(r.out)
	if err != nil {
		return err
	}
	parent := filepath.Dir(r.out)
	if state == outAbsent {
		if err := os.Rename(r.staging, r.out); err != nil {
			return fmt.Errorf("%w %s: %w", ErrOutUnwritable, r.out, err)
		}
		r.done = true
		return syncDirErr(parent)
	}

	old, err := r.swap()
	if err != nil {
		return err
	}
	r.done = true
	serr := syncDirErr(parent)
	// old holds the previous output: remove it only if it still is ours.
	if st, err := checkOut(old); err != nil || st == outAbsent {
		return fmt.Errorf("store: run committed to %s; previous content left in %s: %v", r.out, old, err)
	}
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("store: run committed to %s; cannot remove previous run %s: %w", r.out, old, err)
	}
	return serr
}

// swap puts the staging folder at r.out and returns where the previous
// content of r.out now is.
func (r *Run) swap() (old string, err error) {
	if exchangeFunc(r.staging, r.out) == nil {
		return r.staging, nil
	}
	old = r.staging + ".old"
	if err := os.Rename(r.out, old); err != nil {
		return "", fmt.Errorf("%w %s: move previous run aside: %w", ErrOutUnwritable, r.out, err)
	}
	if err := os.Rename(r.staging, r.out); err != nil {
		if rerr := os.Rename(old, r.out); rerr != nil {
			return "", fmt.Errorf("%w %s: %w (and the previous run could not be put back from %s: %v)",
				ErrOutUnwritable, r.out, err, old, rerr)
		}
		return "", fmt.Errorf("%w %s: %w", ErrOutUnwritable, r.out, err)
	}
	return old, nil
}

// exchangeFunc is exchange; tests replace it to exercise the fallback.
var exchangeFunc = exchange

// syncDirErr wraps a folder fsync error.
func syncDirErr(dir string) error {
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("store: fsync %s: %w", dir, err)
	}
	return nil
}

// Abort removes the staged run; the output folder is untouched. It is a
// no-op after Commit or a previous Abort, so `defer run.Abort()` is safe.
func (r *Run) Abort() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return nil
	}
	r.done = true
	if err := os.RemoveAll(r.staging); err != nil {
		return fmt.Errorf("store: remove staging folder: %w", err)
	}
	return nil
}
