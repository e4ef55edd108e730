package dataset

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/fsync"
	"github.com/tmonbench/tmonbench/queries"
)

// ManifestName is the dataset manifest file at the top of an output.
const ManifestName = "_manifest.json"

// Manifest is the content of _manifest.json.
type Manifest struct {
	Tool          string           `json:"tool"`           // "tmonbench"
	SchemaVersion int              `json:"schema_version"` // observe.SchemaVersion
	Version       string           `json:"tmonbench_version"`
	ConfigHash    string           `json:"config_hash"` // from run.json
	Mode          string           `json:"mode"`        // replay, collector, live or merge (run.json)
	Written       string           `json:"written"`     // RFC 3339, wall clock
	Tables        map[string]Table `json:"tables"`
}

// Table describes one table folder.
type Table struct {
	PartitionKeys []string `json:"partition_keys"`        // Hive keys, outermost first; none: flat
	TimeColumn    string   `json:"time_column,omitempty"` // the column min_time and max_time are of
	Rows          int64    `json:"rows"`
	Bytes         int64    `json:"bytes"`
	MinTime       string   `json:"min_time,omitempty"` // RFC 3339 with ns, UTC
	MaxTime       string   `json:"max_time,omitempty"`
	Files         []File   `json:"files"`
}

// File is one Parquet part.
type File struct {
	Path    string `json:"path"` // relative to the output, with /
	Rows    int64  `json:"rows"`
	Bytes   int64  `json:"bytes"`
	MinTime string `json:"min_time,omitempty"`
	MaxTime string `json:"max_time,omitempty"`
}

// timeColumn returns the time column of a table: the date key's column of
// the raw tables, interval_start for rollups, none otherwise.
func timeColumn(table string) string {
	if t := observe.TableNamed(table); t != nil {
		for _, k := range t.Partition() {
			if k.Date {
				return k.Column
			}
		}
		return ""
	}
	for _, s := range []string{"_1m", "_1h", "_1d"} {
		if strings.HasSuffix(table, s) {
			return "interval_start"
		}
	}
	return ""
}

// WriteManifest scans the output outDir and writes its _manifest.json
// atomically (a hidden temporary file renamed over it), after everything
// else. version is the tmonbench version; the config hash and mode come
// from run.json when present.
func WriteManifest(ctx context.Context, outDir, version string, now time.Time) (*Manifest, error) {
	return writeManifest(ctx, outDir, version, now, true)
}

// writeManifest is WriteManifest, the parts read from their footers when
// footers is set, else by DuckDB's scan alone (the tests' oracle).
func writeManifest(ctx context.Context, outDir, version string, now time.Time, footers bool) (*Manifest, error) {
	m := &Manifest{Tool: "tmonbench", SchemaVersion: observe.SchemaVersion, Version: version, Written: now.UTC().Format(time.RFC3339), Tables: map[string]Table{}}
	if b, err := os.ReadFile(filepath.Join(outDir, queries.ManifestName)); err == nil {
		var run struct {
			ConfigHash string `json:"config_hash"`
			Mode       string `json:"mode"`
		}
		if json.Unmarshal(b, &run) == nil {
			m.ConfigHash, m.Mode = run.ConfigHash, run.Mode
		}
	}
	tables, err := queries.Tables(outDir)
	if err != nil {
		return nil, err
	}
	sc := &scanner{ctx: ctx, outDir: outDir, footers: footers}
	defer sc.close()
	for _, name := range tables {
		t, err := sc.table(name)
		if err != nil {
			return nil, err
		}
		m.Tables[name] = t
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	err = fsync.WriteFile(filepath.Join(outDir, ManifestName), func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	return m, nil
}

// scanner reads the tables of one output: each part's row count and time
// range from its Parquet footer (footerParts) when footers is set and every
// part of the table has what it takes, else by one DuckDB scan of the
// table's parts (sqlParts), the database opened on first need.
type scanner struct {
	ctx      context.Context
	outDir   string
	footers  bool
	db       *sql.DB
	fellBack []string // tables read by DuckDB although footers was set
}

func (s *scanner) close() {
	if s.db != nil {
		s.db.Close()
	}
}

// table reads the row count and time range of every part of one table.
func (s *scanner) table(name string) (Table, error) {
	t := Table{TimeColumn: timeColumn(name), PartitionKeys: []string{}}
	abs, _ := filepath.Abs(s.outDir)
	var files []string
	filepath.WalkDir(filepath.Join(abs, name), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".parquet") && !strings.HasPrefix(d.Name(), ".") {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	if len(files) == 0 {
		return t, nil
	}
	if rel, err := filepath.Rel(filepath.Join(abs, name), files[0]); err == nil {
		for _, seg := range strings.Split(filepath.Dir(filepath.ToSlash(rel)), "/") {
			if k, _, ok := strings.Cut(seg, "="); ok {
				t.PartitionKeys = append(t.PartitionKeys, k)
			}
		}
	}
	var parts []File
	ok := false
	if s.footers {
		parts, ok = footerParts(files, t.TimeColumn)
		if !ok {
			s.fellBack = append(s.fellBack, name)
		}
	}
	if !ok {
		if s.db == nil {
			db, err := sql.Open("duckdb", "")
			if err != nil {
				return t, fmt.Errorf("dataset: %w", err)
			}
			s.db = db
		}
		var err error
		if parts, err = sqlParts(s.ctx, s.db, name, files, t.TimeColumn); err != nil {
			return t, err
		}
	}
	for i, p := range files {
		f := parts[i]
		rel, _ := filepath.Rel(abs, p)
		f.Path = filepath.ToSlash(rel)
		if fi, err := os.Stat(p); err == nil {
			f.Bytes = fi.Size()
		}
		t.Files = append(t.Files, f)
		t.Rows += f.Rows
		t.Bytes += f.Bytes
		if f.MinTime != "" && (t.MinTime == "" || f.MinTime < t.MinTime) {
			t.MinTime = f.MinTime
		}
		if f.MaxTime > t.MaxTime {
			t.MaxTime = f.MaxTime
		}
	}
	return t, nil
}

// sqlParts reads the row count and the time range of timeCol (none when
// empty) of each of files (absolute paths) by one DuckDB scan; the parts
// come back in the order of files, their Path unset.
func sqlParts(ctx context.Context, db *sql.DB, name string, files []string, timeCol string) ([]File, error) {
	list := make([]string, len(files))
	for i, f := range files {
		list[i] = literal(filepath.ToSlash(f))
	}
	cols := "NULL::BIGINT, NULL::BIGINT"
	if timeCol != "" {
		cols = fmt.Sprintf("epoch_ns(min(%[1]s)), epoch_ns(max(%[1]s))", ident(timeCol))
	}
	q := fmt.Sprintf("SELECT filename, count(*), %s FROM read_parquet([%s], filename = true, union_by_name = true) GROUP BY filename", cols, strings.Join(list, ", "))
	rs, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("dataset: scan %s: %w", name, err)
	}
	defer rs.Close()
	byFile := map[string]File{}
	for rs.Next() {
		var f File
		var lo, hi sql.NullInt64
		if err := rs.Scan(&f.Path, &f.Rows, &lo, &hi); err != nil {
			return nil, fmt.Errorf("dataset: scan %s: %w", name, err)
		}
		if lo.Valid && hi.Valid {
			f.MinTime = time.Unix(0, lo.Int64).UTC().Format(queries.TimeLayout)
			f.MaxTime = time.Unix(0, hi.Int64).UTC().Format(queries.TimeLayout)
		}
		byFile[filepath.FromSlash(f.Path)] = f
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("dataset: scan %s: %w", name, err)
	}
	parts := make([]File, len(files))
	for i, p := range files {
		parts[i] = byFile[p] // a schema-only part has no row, hence no group
		parts[i].Path = ""
	}
	return parts, nil
}
