package store

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// Appender writes a long-running collector's rows into an output folder as
// they come (tmonbench collector): each call is a new part file that
// appears atomically, and a restarted collector continues the numbering, so
// its rows add to those already there instead of replacing them (unlike a
// replay Run). Safe for concurrent use.
type Appender struct {
	out  string
	mu   sync.Mutex
	next map[string]int // next part number per table
}

// OpenAppend prepares out (created if missing) for appending and writes
// run.json there if it has none yet. Errors as BeginRun: ErrNotRunDir for a
// folder holding files but no run.json, ErrOutUnwritable.
func OpenAppend(out string, m Manifest) (*Appender, error) {
	abs, err := resolveOut(out)
	if err != nil {
		return nil, err
	}
	state, err := checkOut(abs)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrOutUnwritable, out, err)
	}
	if state == outRun {
		if old, err := ReadManifest(abs); err == nil && old.Mode != ModeCollector {
			return nil, fmt.Errorf("%w: %s holds a tmonbench replay; a collector appends only to its own output: choose another --out", ErrNotRunDir, out)
		}
	} else {
		if m.Tool == "" {
			m.Tool = Application
		}
		m.Mode = ModeCollector
		b, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			return nil, err
		}
		if _, err := writeAtomic(filepath.Join(abs, ManifestName), func(w io.Writer) error {
			_, err := w.Write(append(b, '\n'))
			return err
		}); err != nil {
			return nil, fmt.Errorf("%w %s: %w", ErrOutUnwritable, out, err)
		}
	}
	return &Appender{out: abs, next: map[string]int{}}, nil
}

// Out returns the absolute output folder.
func (a *Appender) Out() string { return a.out }

// part returns the next free part number of table.
func (a *Appender) part(table string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n, ok := a.next[table]
	if !ok {
		ents, _ := os.ReadDir(filepath.Join(a.out, table))
		for _, e := range ents {
			name := e.Name()
			if !strings.HasPrefix(name, "part-") || !strings.HasSuffix(name, ".parquet") {
				continue
			}
			if v, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, "part-"), ".parquet")); err == nil && v >= n {
				n = v + 1
			}
		}
	}
	a.next[table] = n + 1
	return n
}

// AppendTo writes rows as a new part of table (an empty slice writes
// nothing, except the first time a table is seen, so its view exists).
func AppendTo[T any](a *Appender, table string, rows []T) error {
	if len(rows) == 0 {
		if _, err := os.Stat(filepath.Join(a.out, table)); err == nil {
			return nil
		}
	}
	_, err := Write(a.out, table, a.part(table), rows)
	return err
}
