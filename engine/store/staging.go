package store

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// Hidden folders a run keeps inside the output folder: the staged run
// (tables and a running run.json) and, during Finish, the previous run
// set aside. Their names carry the writing process's PID.
const (
	stagingPrefix = ".tmon-run-"
	oldPrefix     = ".tmon-old-"
)

// StagingPrefix starts the name of the hidden folder, inside the output
// folder, where a running replay writes its tables (queries read a running
// run from there: see queries.State).
const StagingPrefix = stagingPrefix

// OldPrefix starts the name of the folder Finish sets the previous run
// aside in (queries.State waits while a live process has one).
const OldPrefix = oldPrefix

// mkdirHidden creates a new folder in out named prefix, this process's
// PID, "-" and a random number, and returns its path. It is made 0755 less
// the process's umask, as every folder of an output (MkdirAll 0755 for the
// tables): os.MkdirTemp's 0700 (and the fixed 0755 it was once changed to,
// whatever the umask) would set a running replay's staging folder apart
// from the tables it becomes (TestOneFileMode).
func mkdirHidden(out, prefix string) (string, error) {
	for try := 0; ; try++ {
		dir := filepath.Join(out, prefix+strconv.Itoa(os.Getpid())+"-"+strconv.FormatUint(rand.Uint64(), 36))
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, fs.ErrExist) || try == 100 {
			return "", err
		}
	}
}

// ours reports whether name is one of the run's hidden folders.
func ours(name string) bool {
	return strings.HasPrefix(name, stagingPrefix) || strings.HasPrefix(name, oldPrefix)
}

// removeStaleInside removes the hidden folders of killed runs inside out
// (their staging or set-aside folders): called with the lock of out held,
// so no live run owns them.
func removeStaleInside(out string) []string {
	ents, err := os.ReadDir(out)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range ents {
		if dir := filepath.Join(out, e.Name()); e.IsDir() && ours(e.Name()) && os.RemoveAll(dir) == nil {
			removed = append(removed, dir)
		}
	}
	return removed
}

// pruneSchemaOnly removes, from the staged tables that got rows, the
// schema-only part written when the run began (so every table existed from
// the start): a finished table has no file without rows, and a query on one
// partition does not open an empty one beside it.
func (r *Run) pruneSchemaOnly() {
	for _, t := range observe.Tables {
		ts := r.stats.Tables[t.Name]
		if ts.Rows == 0 {
			continue
		}
		keys := t.Partition()
		dir := filepath.Join(r.staging, t.Name, filepath.FromSlash(observe.PartitionDir(keys, make([]string, len(keys)))))
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			path := filepath.Join(dir, e.Name())
			if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".parquet") && rowsIn(path) == 0 {
				fi, err := os.Stat(path)
				if err == nil && os.Remove(path) == nil {
					ts.Files--
					ts.Bytes -= fi.Size() // the stats count the files kept
				}
			}
		}
		for d := dir; d != filepath.Join(r.staging, t.Name); d = filepath.Dir(d) {
			if os.Remove(d) != nil { // not empty
				break
			}
		}
		r.stats.Tables[t.Name] = ts
	}
}

// rowsIn returns the rows of a Parquet file (-1 if it cannot be read).
func rowsIn(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return -1
	}
	pf, err := parquet.OpenFile(f, fi.Size())
	if err != nil {
		return -1
	}
	return pf.NumRows()
}
