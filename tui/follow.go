package tui

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
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
		ents, _ := readDir(path)
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

// readDir is os.ReadDir (a test counts the folders the TUI reads).
var readDir = os.ReadDir

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

// layout is how each table folder holding parts lays them out:
// "flows:2" when its parts are two partition folders down
// (date=…/probe=…/part-N.parquet), "flows:0" when flat (the layout before
// schema version 2), "flows:0,2" when both; sorted. A view's glob is
// fixed when the database is opened (queries.Open: one "*/" per
// partition level), so a table whose parts come at another depth (a
// collector of another version appending) needs the database opened
// again.
func (w *outputWatch) layout() []string {
	var out []string
	for _, t := range w.tables() {
		var depths []string
		w.depths(filepath.Join(w.root, t), 0, &depths)
		slices.Sort(depths)
		out = append(out, t+":"+strings.Join(slices.Compact(depths), ","))
	}
	return out
}

// depths adds to ds the depths under path (0: path itself) of the
// folders holding parts.
func (w *outputWatch) depths(path string, d int, ds *[]string) {
	f := w.folders[path]
	if f.parts > 0 {
		*ds = append(*ds, strconv.Itoa(d))
	}
	for _, s := range f.subs {
		w.depths(filepath.Join(path, s), d+1, ds)
	}
}

// followOutput refreshes the screens when the output's tables changed
// since the last check (dir: the folder the output's tables are read
// from now, queries.State's Dir): the overview and the screen in view
// reload in place (cursor on its row, scroll, sort, filter and brush
// kept), the other screens when next shown; the span of times is read
// again and why tables are empty too. The database is opened again first
// when its views no longer read what the folder holds: a table with its
// first parts (it had no view), a table whose parts came at another
// partition depth (layout), or a replay's staging folder moved into
// place as the replay finished (dir differs from dbDir): the table
// screens then read the new folders, their rows found again by key. A
// change seen while queries run waits for the next check with none
// (followDue).
func (m *Model) followOutput(dir string) tea.Cmd {
	e := m.e
	changed, tables := e.watch.changed(dir)
	layout := e.watch.layout()
	if changed || dir != e.dbDir {
		e.followDue = true
	}
	if !e.followDue || e.db == nil || len(e.inflight) > 0 {
		return nil
	}
	e.followDue = false
	moved := dir != e.dbDir
	if moved || !slices.Equal(tables, e.watchTables) || !slices.Equal(layout, e.watchLayout) {
		db, err := queries.Open(e.out)
		if err != nil {
			e.setErr(err)
			e.followDue = true // again at the next check
			return nil
		}
		e.db.Close()
		e.db, e.dbDir = db, dir
		e.tables = len(tables) // the folders just read
		e.liveReady, e.liveRows = false, 0
		for _, s := range append(append([]screen(nil), m.tabs...), m.stack...) {
			if t, ok := s.(*pagedTable); ok && !t.liveView && t.cols != nil {
				t.resource()
			}
		}
	}
	e.watchTables, e.watchLayout = tables, layout
	var cmds []tea.Cmd
	for _, s := range append(append([]screen(nil), m.tabs...), m.stack...) {
		b := s.base()
		active := s == m.active()
		switch s := s.(type) {
		case *overview:
			s.refresh = true
			if active && b.loaded {
				cmds = append(cmds, s.load(e))
			} else {
				b.loaded = false
			}
		case *pagedTable:
			switch {
			case active && b.loaded && s.cols != nil:
				// a filter being typed (or the column chooser open) stays
				// as it is: the rows under it are read again, the filter
				// applied (enter) to them
				cmds = append(cmds, s.refresh(e))
			case active && b.loaded && !s.liveView:
				// shown before its table had a part (its columns never
				// read: "No files found" on the status line): loaded now
				if s.failed {
					e.setErr(nil)
				}
				b.loaded = false
				cmds = append(cmds, m.show())
			case b.loaded:
				b.loaded, s.stale = false, true // refreshed in place when shown
			}
		case *sqlScreen:
			if s.res == nil {
				break
			}
			if active && !s.typing() {
				cmds = append(cmds, s.refresh(e))
			} else {
				b.loaded, s.stale = false, true // refreshed in place when shown, or when the editor closes
			}
		case *detail, *packetsScreen:
			// a detail shown reads its flow again, its scroll kept; the
			// packets read again (a replay's packet index, written as it
			// ends), the cursor on its packet: shown, in place; below
			// another screen, when shown again (due: Model.show)
			if active {
				cmds = append(cmds, s.load(e))
			} else {
				b.due = true
			}
		}
	}
	return tea.Batch(append(cmds, e.loadSpan(), e.emptyCheck(true))...)
}

// openOutput opens the database on the output as it is now, after noting
// the run it holds (runKey), the folder its views read (dbDir) and that
// folder's tables (watchNow): a run replacing it, or parts appended, in
// between are seen at the next check.
func (e *env) openOutput() {
	st := queries.State(e.out)
	e.runKey, _ = queries.RunID(st.Dir)
	e.dbDir = st.Dir
	e.watchNow(st.Dir)
	e.db, e.openErr = queries.Open(e.out)
	e.tables = len(e.watchTables) // the folders watchNow read (partTables' count), not read again
}

// watchNow records the folders of dir as they are, before the database
// is opened on them: what is appended after shows at the next check.
func (e *env) watchNow(dir string) {
	e.watch = outputWatch{}
	_, e.watchTables = e.watch.changed(dir)
	e.watchLayout = e.watch.layout()
	e.followDue = false
}

// stagedNote is the status line's note while the tables read are those
// of a replay still writing the output (env.staged).
const stagedNote = "replay running: its rows so far, followed every 2 s"

// staged reports whether the database reads a running replay's staging
// folder inside the output (not a live TUI: its own run's line says).
func (e *env) staged() bool {
	if e.live != nil || e.db == nil || e.dbDir == "" {
		return false
	}
	abs, err := filepath.Abs(e.out)
	return err == nil && e.dbDir != abs
}
