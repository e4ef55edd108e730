package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrBusy: another tmonbench run (replay, collector, live) is writing the
// same output folder. The second run refuses at once rather than let one
// result silently replace the other.
var ErrBusy = errors.New("store: output folder in use")

// JournalDir is the folder a durable collector keeps its write-ahead log
// and checkpoints in, inside its output folder (engine/journal). Queries
// skip it (not a table name) and checkRunDir accepts it.
const JournalDir = ".journal"

// LockName is the lock file a run holds inside its output folder (issue
// 9: a run needs write access to --out only, not to its parent). Queries
// and the folder checks pass over it.
const LockName = ".tmon.lock"

// lockName is the lock file of output folder out.
func lockName(out string) string {
	return filepath.Join(out, LockName)
}

// outLock is an exclusive lock on an output folder, held for a run's life.
type outLock struct {
	f    *os.File
	path string
}

// lockOutFn is lockOut, called by BeginRun and OpenAppend; a test puts
// another run between a check of out and its lock through it.
var lockOutFn = lockOut

// lockOut takes the lock of out (the folder must exist), writing
// our process id in the lock file for the other run's message. Error:
// ErrBusy naming the holder.
func lockOut(out string) (*outLock, error) {
	path := lockName(out)
	for range 10 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil { // the lock file's name is ours, not the user's: say where
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, fmt.Errorf("%w %s: cannot create files in it: %w", ErrOutUnwritable, out, err)
		}
		if err := lockFile(f); err != nil {
			b, _ := os.ReadFile(path)
			f.Close()
			holder := strings.TrimSpace(string(b))
			if holder == "" {
				holder = "unknown"
			}
			return nil, fmt.Errorf("%w: another tmonbench run (process %s) is writing %s; wait for it to end or choose another --out", ErrBusy, holder, out)
		}
		// The holder before us removes the file as it releases it: make
		// sure we locked the file that is at path now.
		fi, err1 := f.Stat()
		pi, err2 := os.Stat(path)
		if err1 != nil || err2 != nil || !os.SameFile(fi, pi) {
			unlockFile(f)
			f.Close()
			continue
		}
		f.Truncate(0)
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		return &outLock{f: f, path: path}, nil
	}
	return nil, fmt.Errorf("%w: %s: its lock file keeps changing", ErrBusy, out)
}

// release removes the lock file and drops the lock (a killed run's lock
// file stays, unlocked, until the next run).
func (l *outLock) release() {
	if l != nil && l.f != nil {
		os.Remove(l.path)
		unlockFile(l.f)
		l.f.Close()
		l.f = nil
	}
}

// removeStale removes the staging folders <out>.tmp-* (and their .old
// twins) that killed replays left beside out, holding the lock of out so
// no live run owns them. Only folders holding nothing but run.json and
// table folders of parts are removed.
func removeStale(out string) []string {
	parent, base := filepath.Dir(out), filepath.Base(out)
	ents, err := os.ReadDir(parent)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range ents {
		name := e.Name()
		rest, ok := strings.CutPrefix(name, base+".tmp-")
		if !ok || !e.IsDir() {
			continue
		}
		rest = strings.TrimSuffix(rest, ".old")
		if _, err := strconv.ParseUint(rest, 10, 64); err != nil {
			continue
		}
		dir := filepath.Join(parent, name)
		if !onlyTables(dir) {
			continue
		}
		if os.RemoveAll(dir) == nil {
			removed = append(removed, dir)
		}
	}
	return removed
}

// onlyTables reports whether dir holds nothing but run.json, the dataset
// manifest and table folders of Parquet parts (what a run writes).
func onlyTables(dir string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	var foreign []string
	for _, e := range ents {
		if e.Name() == ManifestName || e.Name() == DatasetManifestName {
			continue
		}
		if !e.IsDir() || checkTable(e.Name()) != nil {
			return false
		}
		if err := foreignParts(dir, e.Name(), &foreign); err != nil || len(foreign) > 0 {
			return false
		}
	}
	return true
}

// CheckWritable reports whether files can be created in the existing
// folder out, as a command that adds tables to it (rollup, enrich) needs,
// before it writes anything: ErrOutUnwritable, the message the runs give
// (a read-only mount made rollup print its header, then the raw error of
// a removal inside DuckDB's output).
func CheckWritable(out string) error {
	f, err := os.CreateTemp(out, ".tmon-write-check-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("%w %s: cannot create files in it: %w", ErrOutUnwritable, out, err)
	}
	f.Close()
	return os.Remove(f.Name())
}
