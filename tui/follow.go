package tui

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/tmonbench/tmonbench/queries"
)

// A collector or a live run appends to its output: each write adds part
// files to the tables' folders (<out>/<table>/date=…/part-N.parquet), and
// a table's first rows may make its folder. The views read the folders'
// parts at each query (a glob), but the TUI showed what its screens had
// loaded: a TUI opened before the first rows kept "(no flows)", one
// opened after kept the counts it read first. The output check
// (outputCheckMsg, every outputPoll) now also looks whether the folders
// changed, and when they did refreshes the overview and the screen in
// view in place (the others when next shown), reopening the database
// first when a table got its first parts (its view did not exist).

// folderSeen is what the watch knows of one folder: its modification
// time and size when last read, its subfolders then, and how many Parquet
// files it held. settled is false when the folder had been modified less
// than settleTime before it was read.
type folderSeen struct {
	mod     time.Time
	size    int64
	subs    []string
	parts   int
	settled bool
}

// settleTime is how old a folder's modification time must be for the
// watch to trust that a later change moves it. A folder's timestamps are
// coarse (one kernel tick, 1 to 10 ms, before Linux 6.13's multigrain
// timestamps; 2 s on FAT): a part renamed in within the tick of the
// folder's previous change, after a check read it, leaves its mtime as
// it was. A folder modified that recently is read again at the next
// check (its entries compared), so such a part shows one check later.
const settleTime = 3 * time.Second

// outputWatch tells cheaply whether an output's tables changed: one stat
// per folder (the output, each table's, each partition's) a check, and a
// folder's entries read only when its status changed (a part file added
// or renamed into it, a partition or table folder made) or had changed
// shortly before the previous check (settleTime). A file written
// over in place would go unseen; the store never does that (it renames
// new parts in).
type outputWatch struct {
	root    string
	folders map[string]folderSeen
}

// changed reads dir's folders and reports whether any changed since the
// previous call on the same dir (the first call records them: false), and
// tables, the table folders holding a Parquet file somewhere.
func (w *outputWatch) changed(dir string) (changed bool, tables []string) {
	if w.root != dir {
		w.root, w.folders = dir, map[string]folderSeen{}
		w.scan(dir, 0)
		return false, w.tables()
	}
	return w.scan(dir, 0), w.tables()
}

// scan stats path and, when it changed, reads its entries; it then scans
// its subfolders (depth 0: the output; 1: a table; more: partitions) and
// reports whether anything under path changed.
func (w *outputWatch) scan(path string, depth int) bool {
	fi, err := os.Stat(path)
	old, had := w.folders[path]
	if err != nil || !fi.IsDir() {
		delete(w.folders, path)
		return had
	}
	cur := old
	changed := !had || !fi.ModTime().Equal(old.mod) || fi.Size() != old.size
	if changed || !old.settled {
		cur = folderSeen{mod: fi.ModTime(), size: fi.Size(), settled: time.Since(fi.ModTime()) > settleTime}
		ents, _ := os.ReadDir(path)
		for _, e := range ents {
			n := e.Name()
			switch {
			case strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_"):
			case e.IsDir() && (depth == 0 || strings.Contains(n, "=")):
				cur.subs = append(cur.subs, n)
			case depth > 0 && e.Type().IsRegular() && strings.HasSuffix(n, ".parquet"):
				cur.parts++
			}
		}
		changed = changed || cur.parts != old.parts || !slices.Equal(cur.subs, old.subs)
		for _, s := range old.subs {
			if !slices.Contains(cur.subs, s) {
				w.forget(filepath.Join(path, s))
			}
		}
		w.folders[path] = cur
	}
	for _, s := range cur.subs {
		if w.scan(filepath.Join(path, s), depth+1) {
			changed = true
		}
	}
	return changed
}

// forget drops path and the folders under it.
func (w *outputWatch) forget(path string) {
	for p := range w.folders {
		if p == path || strings.HasPrefix(p, path+string(filepath.Separator)) {
			delete(w.folders, p)
		}
	}
}

// tables are the table folders of the output holding a Parquet file,
// sorted.
func (w *outputWatch) tables() []string {
	var ts []string
	for _, t := range w.folders[w.root].subs {
		if w.holdsParts(filepath.Join(w.root, t)) {
			ts = append(ts, t)
		}
	}
	return ts
}

func (w *outputWatch) holdsParts(path string) bool {
	f := w.folders[path]
	if f.parts > 0 {
		return true
	}
	for _, s := range f.subs {
		if w.holdsParts(filepath.Join(path, s)) {
			return true
		}
	}
	return false
}

// followOutput refreshes the screens when the output's tables changed
// since the last check: the overview and the screen in view reload in
// place (cursor, scroll, sort, filter and brush kept), the other screens
// when next shown; the span of times is read again and why tables are
// empty too. A table with its first parts since the database was opened
// has no view: the database is opened again first. A change seen while
// queries run waits for the next check with none (followDue).
func (m *Model) followOutput() tea.Cmd {
	e := m.e
	changed, tables := e.watch.changed(queries.State(e.out).Dir)
	if changed {
		e.followDue = true
	}
	if !e.followDue || e.db == nil || len(e.inflight) > 0 {
		return nil
	}
	e.followDue = false
	if !slices.Equal(tables, e.watchTables) {
		db, err := queries.Open(e.out)
		if err != nil {
			e.setErr(err)
			return nil
		}
		e.db.Close()
		e.db = db
		e.tables = tableCount(e.out)
		e.liveReady, e.liveRows = false, 0
	}
	e.watchTables = tables
	var cmds []tea.Cmd
	for _, s := range append(append([]screen(nil), m.tabs...), m.stack...) {
		b := s.base()
		switch s := s.(type) {
		case *overview:
			s.refresh = true
			if s == m.active() && b.loaded {
				cmds = append(cmds, s.load(e))
			} else {
				b.loaded = false
			}
		case *pagedTable:
			if s == m.active() && b.loaded && !s.typing() && s.cols != nil {
				cmds = append(cmds, s.refresh(e))
			} else if b.loaded {
				b.loaded, s.stale = false, true // refreshed in place when shown
			}
		}
	}
	return tea.Batch(append(cmds, e.loadSpan(), e.emptyCheck(true))...)
}

// watchNow records the output's folders as they are, before the database
// is opened on them: what is appended after shows at the next check.
func (e *env) watchNow() {
	e.watch = outputWatch{}
	_, e.watchTables = e.watch.changed(queries.State(e.out).Dir)
	e.followDue = false
}
