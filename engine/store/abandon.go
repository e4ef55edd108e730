package store

import (
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
)

// Abandon is the end of a run that the process gives up while it is
// written (a second Ctrl-C): it waits for a move of the run into the
// output folder under way (Finish's renames: a few), then keeps any from
// starting, for good, so that the process may exit at once with the
// output folder whole: its previous content as it was. It returns the
// parts left half-written in the staging folder (table/part, under their
// hidden .tmp names, never read as parts), sorted, and ok false when
// Finish had already moved the run in (nothing to abandon: the run is
// whole). Not for a process that goes on: the run can no longer finish.
func (r *Run) Abandon() (unfinished []string, ok bool) {
	r.moving.Lock() // never unlocked: the process exits
	if r.moved {
		r.moving.Unlock()
		return nil, false
	}
	filepath.WalkDir(r.staging, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if n := d.Name(); strings.HasPrefix(n, ".") && strings.HasSuffix(n, ".tmp") {
			rel, _ := filepath.Rel(r.staging, filepath.Join(filepath.Dir(path), strings.TrimSuffix(strings.TrimPrefix(n, "."), ".tmp")))
			unfinished = append(unfinished, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(unfinished)
	return unfinished, true
}
