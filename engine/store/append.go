package store

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// Appender writes a long-running collector's rows into an output folder as
// they come (tmonbench collector): each call is a new part file that
// appears atomically, and a restarted collector continues the numbering, so
// its rows add to those already there instead of replacing them (unlike a
// replay Run). Safe for concurrent use.
type Appender struct {
	out      string
	mu       sync.Mutex
	next     map[partDir]int     // next part number per table folder or partition folder
	made     map[string]bool     // the tables whose folder exists (Write: written, or found)
	seen     map[string]bool     // the tables whose folder existed once (made, then perhaps removed)
	remade   map[string]int      // per table, the times its folder was found removed (and made again)
	outDir   *os.File            // out, whose modification time tells when a table folder may have gone
	outStamp folderStamp         // out's when made was last checked against the folders
	split    []*observe.Splitter // idle splitters of Write (one per Write at once: its parts kept, issue 14)
	lock     *outLock            // held until Close
	manifest Manifest
	closed   bool
	notable  Notable
	replaced *Manifest // the run.json of the output OpenReplace removed; nil: none
	writers  writerPool
}

// Replaced returns the run.json of the previous run whose output
// OpenReplace removed from the folder (a replay's), and false when there
// was none (a new or empty folder, or OpenAppend), so the command can say
// what it replaced.
func (a *Appender) Replaced() (Manifest, bool) {
	if a.replaced == nil {
		return Manifest{}, false
	}
	return *a.replaced, true
}

// Notable returns the warning and error events Write wrote so far.
func (a *Appender) Notable() Notable {
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.notable)
}

// OpenAppend prepares out (created if missing) for appending: it writes
// run.json there (the first collector's manifest is kept), marked
// "state": "running" with this process's PID until Close, and a
// schema-only part for every table that has none yet. Errors as
// BeginRun: ErrNotRunDir for a folder holding files but no run.json,
// ErrOtherMode for the output of a replay or a live run, ErrOutUnwritable.
// run.json's mode is m.Mode, ModeCollector when empty.
func OpenAppend(out string, m Manifest) (*Appender, error) {
	return openAppend(out, m, false)
}

// OpenReplace is OpenAppend for a run that starts a new output (tmonbench
// live): a previous replay's output in out is removed first, only once the
// folder's lock is held, so a second run refused with ErrBusy never
// deletes the output of the run writing there; a collector's or a live
// run's output is refused (ErrOtherMode, Irreplaceable).
// A folder tmonbench did not write is refused as by OpenAppend. tmonbench
// live sets m.Mode to ModeLive.
func OpenReplace(out string, m Manifest) (*Appender, error) {
	return openAppend(out, m, true)
}

func openAppend(out string, m Manifest, replace bool) (*Appender, error) {
	abs, _, _, err := resolveOut(out) // refuses a user's folder before a lock file is made in it
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrOutUnwritable, out, err)
	}
	lock, err := lockOutFn(abs)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			lock.release()
		}
	}()
	// Checked again under the lock, where no other tmonbench run changes
	// out: run.json read once, its mode decides.
	state, old, err := checkOut(abs)
	if err != nil {
		return nil, err
	}
	var replaced *Manifest
	if state == outRun && replace {
		if err := refuseIrreplaceable(out, old, cmp.Or(m.Mode, ModeLive)); err != nil {
			return nil, err
		}
		if err := removeContents(abs); err != nil {
			return nil, fmt.Errorf("%w %s: %w", ErrOutUnwritable, out, err)
		}
		state, replaced = outEmpty, &old
	}
	if state == outRun {
		if old.Mode != ModeCollector {
			return nil, fmt.Errorf("%w: %s is the output of tmonbench %s; a collector appends only to its own output: choose another --out", ErrOtherMode, out, old.Mode)
		}
		m = appendedManifest(old, m)
	} else {
		if m.Tool == "" {
			m.Tool = Application
		}
		if m.Mode == "" {
			m.Mode = ModeCollector
		}
	}
	a := &Appender{out: abs, next: map[partDir]int{}, made: map[string]bool{}, seen: map[string]bool{}, remade: map[string]int{}, lock: lock, manifest: m, replaced: replaced}
	if a.outDir, err = os.Open(abs); err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrOutUnwritable, out, err)
	}
	defer func() {
		if !ok {
			a.outDir.Close()
		}
	}()
	if err := a.mark(StateRunning); err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrOutUnwritable, out, err)
	}
	if err := a.Write(&observe.Batch{}); err != nil { // every table exists from the start
		return nil, err
	}
	ok = true
	return a, nil
}

// mark writes run.json with state (and this PID while running).
func (a *Appender) mark(state string) error {
	m := a.manifest
	m.State, m.PID = state, 0
	if state == StateRunning {
		m.PID = os.Getpid()
	}
	return writeManifest(a.out, m)
}

// Close marks the output as no longer being written (run.json state
// cleared; finished as SetFinished gave it) and releases the output
// folder (another run may write it then). The parts written stay; Close
// is safe to call twice.
func (a *Appender) Close() error {
	return once(&a.mu, &a.closed, func() error {
		defer a.lock.release()
		defer a.outDir.Close()
		a.writers.drop()
		a.manifest.Tables = FolderStats(a.out)
		return a.mark("")
	})
}

// FolderStats counts what every table's folder (observe.Tables) under out
// holds: part files, rows (from their footers) and bytes (file sizes). An
// appended output's run.json gives them from Close on, for every run that
// appended to it (a collector restarted on its folder), as a replay's
// gives its own; merge gives its sources' summed bytes as their sizes.
func FolderStats(out string) map[string]TableStats {
	stats := make(map[string]TableStats, len(observe.Tables))
	for _, t := range observe.Tables {
		var ts TableStats
		filepath.WalkDir(filepath.Join(out, t.Name), func(path string, e os.DirEntry, err error) error {
			if err != nil || !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".parquet") {
				return nil
			}
			if fi, err := e.Info(); err == nil {
				ts.Files++
				ts.Bytes += fi.Size()
				ts.Rows += max(rowsIn(path), 0)
			}
			return nil
		})
		stats[t.Name] = ts
	}
	return stats
}

// SetFinished records the run's end time, which run.json gives from Close
// on (the caller's wall clock, as a replay's: engines read no clock).
func (a *Appender) SetFinished(t time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.manifest.Finished = t
}

// once runs end with mu held the first time *done is false, setting it;
// later calls return nil: the Close and Abort that are safe to call twice.
func once(mu *sync.Mutex, done *bool, end func() error) error {
	mu.Lock()
	defer mu.Unlock()
	if *done {
		return nil
	}
	*done = true
	return end()
}

// SetConfig records in run.json (rewritten atomically, the run still
// marked running) the configuration now in force: its hash, its
// effective text and since when (a collector's config switch-over,
// design 1.6). After Close it only changes what a later mark would write.
func (a *Appender) SetConfig(hash, text string, since time.Time) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.manifest.ConfigHash, a.manifest.Config, a.manifest.ConfigSince = hash, text, since
	if a.closed {
		return nil
	}
	if err := a.mark(StateRunning); err != nil {
		return fmt.Errorf("%w %s: %w", ErrOutUnwritable, a.out, err)
	}
	return nil
}

// SetInterrupted marks the run as stopped before it took in everything
// (live aborted by a second signal): run.json says "interrupted": true
// from Close on, as a replay's (Run.SetInterrupted).
func (a *Appender) SetInterrupted() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.manifest.Interrupted = true
}

// Out returns the absolute output folder.
func (a *Appender) Out() string { return a.out }

// partDir is a table folder, or a partition folder (sub, "key=value/...")
// of a table: the part numbers are per folder. A struct key, where the
// folder's path "table/sub" was a string made for each part (issue 14).
type partDir struct{ table, sub string }

// planKey is the key of d in a Plan: "table/sub".
func (d partDir) planKey() string { return d.table + "/" + d.sub }

// planDir is the folder of a Plan's key k.
func planDir(k string) partDir {
	table, sub, _ := strings.Cut(k, "/")
	return partDir{table, sub}
}

// part returns the next free part number of table's folder, or of its
// partition folder sub when not "", and reserves it.
func (a *Appender) part(table, sub string) int {
	d := partDir{table, sub}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.part0(d)
	n := a.next[d]
	a.next[d] = n + 1
	return n
}

// part0 sets the next free part number of a table or partition folder
// from the folder the first time it is used (a.mu held).
func (a *Appender) part0(d partDir) {
	if _, ok := a.next[d]; ok {
		return
	}
	n := 0
	ents, _ := os.ReadDir(filepath.Join(a.out, d.table, filepath.FromSlash(d.sub)))
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, "part-") || !strings.HasSuffix(name, ".parquet") {
			continue
		}
		if v, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, "part-"), ".parquet")); err == nil && v >= n {
			n = v + 1
		}
	}
	a.next[d] = n
}

// FoldersRemade returns, per table, how many times its folder was found
// removed from under the running Appender (an operator's rm -r) and made
// again, with a schema-only part if no rows came (so its view exists) and
// its entry fsynced in the output folder: the rows written after the
// removal are kept. Nil when none was.
func (a *Appender) FoldersRemade() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.remade) == 0 {
		return nil
	}
	return maps.Clone(a.remade)
}

// recheck forgets which table folders exist when the output folder was
// modified since the last check (a table folder removed or renamed
// changes its folderStamp), so that exists looks at them again: one
// fstat a Write (no allocation on Linux) where a stat of every empty table
// at every drain was 2 allocations each (issue 14).
//
// What it can miss: a table folder removed after a check, within the
// same tick of the filesystem's timestamp clock as the output folder's
// last modification before that check, leaves the folderStamp as it was
// when both hold:
//   - the filesystem does not count subfolders in a folder's link count
//     (btrfs: a folder's st_nlink is always 1; ext4, xfs and tmpfs count
//     them, so nlink changes and the removal is seen), and
//   - its timestamps are coarse after a stat: one kernel tick (1 to 10
//     ms, CONFIG_HZ; 2 s on FAT; the server's on NFS). Linux 6.13's
//     multigrain timestamps (ext4, xfs, btrfs, tmpfs) stamp the first
//     change after a stat finely, and the check's fstat is one: there
//     the removal changes mtime (Linux 6.18 on ext4: a file made, the
//     folder fstat'ed, the file removed, 2000 times: mtime changed
//     every time).
//
// Such a removal goes unseen until the output folder is next modified
// (run.json rewritten, a folder made), and a table that gets rows has its
// folder made again by that write all the same (mkdirDurable): what can
// stay missing is an empty table's folder, so its view, until then. Not
// closed with a clock (the store reads none) nor with a stat of every
// table folder per Write (the allocations TestAppenderDrainAllocs
// guards).
func (a *Appender) recheck() {
	st, err := stampOf(a.outDir)
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil || st != a.outStamp {
		clear(a.made)
		a.outStamp = st
	}
}

// exists reports whether table's folder exists: written by a or found
// there since out last changed (recheck). A folder found missing that
// existed before is counted in FoldersRemade: the write that follows
// makes it again.
func (a *Appender) exists(table string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.made[table] {
		return true
	}
	if _, err := os.Stat(filepath.Join(a.out, table)); err != nil {
		if a.seen[table] {
			a.seen[table] = false // counted once, until it is made again
			a.remade[table]++
		}
		return false
	}
	a.made[table], a.seen[table] = true, true
	return true
}

// written records that table's folder exists.
func (a *Appender) written(table string) {
	a.mu.Lock()
	a.made[table], a.seen[table] = true, true
	a.mu.Unlock()
}

// splitter returns an idle Splitter of a, or a new one.
func (a *Appender) splitter() *observe.Splitter {
	a.mu.Lock()
	defer a.mu.Unlock()
	if n := len(a.split); n > 0 {
		s := a.split[n-1]
		a.split = a.split[:n-1]
		return s
	}
	return &observe.Splitter{}
}

// putSplitter gives back s, letting go of the rows it split.
func (a *Appender) putSplitter(s *observe.Splitter) {
	s.Clear()
	a.mu.Lock()
	a.split = append(a.split, s)
	a.mu.Unlock()
}

// AppendTo writes rows as a new part of table (an empty slice writes
// nothing, except the first time a table is seen, so its view exists).
func AppendTo[T any](a *Appender, table string, rows []T) error {
	if len(rows) == 0 {
		if _, err := os.Stat(filepath.Join(a.out, table)); err == nil {
			return nil
		}
	}
	_, err := Write(a.out, table, a.part(table, ""), rows)
	return err
}

// Write implements observe.Sink: it appends every table of b that holds
// rows as a new part, and an empty part (the schema only) for a table that
// has no folder yet, so that every table's view exists. b is not kept.
//
// Notable counts b's events once their table is written, and those whose
// write failed as Unwritten: a summary must not name as written an event
// a full disk refused (the collector's collector_write_failed).
func (a *Appender) Write(b *observe.Batch) error {
	var errs []error
	var evErr error // the events table's
	s := a.splitter()
	defer a.putSplitter(s)
	a.recheck()
	for _, t := range observe.Tables {
		if a.exists(t.Name) && t.Len(b) == 0 { // a folder removed is written again (writeFileIn makes it, fsynced)
			continue
		}
		if _, _, err := writeParts(a.out, t, func(sub string) int { return a.part(t.Name, sub) }, s.Split(t, b), &a.writers); err != nil {
			errs = append(errs, err)
			if t.Name == observe.TableEvents {
				evErr = err
			}
			continue
		}
		a.written(t.Name)
	}
	a.mu.Lock()
	a.notable.addWritten(b.Events, evErr)
	a.mu.Unlock()
	return errors.Join(errs...)
}

// Commit implements observe.Sink: every part is durable once written
// (fsynced before its rename), so there is nothing more to do.
func (a *Appender) Commit() error { return nil }

// Plan chooses the part file of every partition Write would write for b
// (the tables holding rows, and those without a folder yet: a schema-only
// part) and reserves the numbers: "table/partition folder" -> part
// number. A durable collector journals the plan before WritePlan, so that
// a write a crash interrupted is redone into the same files and never adds
// a second copy of the rows.
func (a *Appender) Plan(b *observe.Batch) map[string]int {
	plan := map[string]int{}
	s := a.splitter()
	defer a.putSplitter(s)
	a.recheck()
	for _, t := range observe.Tables {
		if a.exists(t.Name) && t.Len(b) == 0 {
			continue
		}
		for _, p := range s.Split(t, b) {
			d := partDir{t.Name, p.Dir}
			plan[d.planKey()] = a.part(d.table, d.sub)
		}
	}
	return plan
}

// WritePlan writes the tables of b into the parts plan chose (Plan),
// replacing a part already there (an interrupted write redone: the same
// rows). A partition the plan misses gets a new part. Later parts are
// numbered after the planned ones.
//
// Notable counts b's events as Write does: after the events table's
// write, those it refused as Unwritten. (They were counted before the
// write: a write that failed, or a crash in between, left events counted
// as written that no table held, and the restart's redo of the journalled
// plan counted them again.) A plan without the events table writes and
// counts none of b's events.
func (a *Appender) WritePlan(b *observe.Batch, plan map[string]int) error {
	planned := map[string]bool{}
	for k, part := range plan {
		d := planDir(k)
		a.mu.Lock()
		a.part0(d)
		if a.next[d] <= part {
			a.next[d] = part + 1
		}
		a.mu.Unlock()
		planned[d.table] = true
	}
	s := a.splitter()
	defer a.putSplitter(s)
	var errs []error
	for _, t := range observe.Tables {
		if !planned[t.Name] {
			continue
		}
		next := func(sub string) int {
			if part, ok := plan[t.Name+"/"+sub]; ok {
				return part
			}
			return a.part(t.Name, sub)
		}
		_, _, err := writeParts(a.out, t, next, s.Split(t, b), &a.writers)
		if err != nil {
			errs = append(errs, err)
		} else {
			a.written(t.Name)
		}
		if t.Name == observe.TableEvents {
			a.mu.Lock()
			a.notable.addWritten(b.Events, err)
			a.mu.Unlock()
		}
	}
	return errors.Join(errs...)
}

// removeContents empties folder dir (checked by checkOut: what a tmonbench
// run wrote), keeping the folder itself and its lock file, which the
// caller holds.
func removeContents(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.Name() == LockName {
			continue // ours, held: removed, a second run would lock a new file and replace this one's output
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// appendedManifest is the run.json of an output a collector appends to
// again: old's, running again (Finished and Tables counted at Close),
// with the configuration the new process runs (m's Config and
// ConfigHash, when given; ConfigSince its start when the hash changed).
// Keeping old's text left a configuration the process no longer ran in
// run.json, and the probe keys in clear of an output written before they
// were redacted (a review).
func appendedManifest(old, m Manifest) Manifest {
	out := old
	out.Finished, out.Tables = time.Time{}, nil
	out.Resumed = m.Started
	if m.Config != "" {
		out.Config = m.Config
	}
	if m.ConfigHash != "" && m.ConfigHash != old.ConfigHash {
		out.ConfigHash, out.ConfigSince = m.ConfigHash, m.Started
	}
	return out
}
