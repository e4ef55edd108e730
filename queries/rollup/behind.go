package rollup

import (
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Behind reports whether rows reached the tables Build rolls up after
// their rollups were last written: a live capture or a collector that
// appended to outDir after `tmonbench rollup` ran. The rollups then leave
// those rows out, and the queries that read them say less than the raw
// tables. raw is the newest Parquet part of a rolled-up table, rolled the
// newest of their rollups (modification times); false when outDir has no
// rollup at all (the queries then say to run rollup) or cannot be read.
func Behind(outDir string) (behind bool, raw, rolled time.Time) {
	for _, t := range Tables {
		raw = later(raw, newestPart(filepath.Join(outDir, t.Name)))
		for _, l := range Levels {
			rolled = later(rolled, newestPart(filepath.Join(outDir, t.Name+l.Suffix)))
		}
	}
	return !rolled.IsZero() && raw.After(rolled), raw, rolled
}

// newestPart is the latest modification time of a .parquet file under
// dir (zero when there is none).
func newestPart(dir string) time.Time {
	var t time.Time
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".parquet" {
			return nil
		}
		if st, err := os.Stat(p); err == nil {
			t = later(t, st.ModTime())
		}
		return nil
	})
	return t
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
