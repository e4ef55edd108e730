package queries

import (
	"embed"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
)

//go:embed *.sql wide/*.sql
var sqlFiles embed.FS

// ErrUnknownQuery: Get was given a name no embedded .sql file has.
var ErrUnknownQuery = errors.New("queries: unknown query")

// Named is one named query: the file <Name>.sql of this package.
//
// A query whose full column set does not fit 120 columns has two forms:
// wide/<Name>.sql selects every column (Wide, `tmonbench query --wide`)
// and <Name>.sql selects, FROM wide, the columns an engineer reads first
// with shorter names (SQL, the default): SQL is then <Name>.sql's header
// followed by "WITH wide AS (wide/<Name>.sql)" and the rest of <Name>.sql.
type Named struct {
	Name        string // file name without .sql, e.g. "top-flows"
	Description string // the one-line description from the first line
	SQL         string // the whole file, header comment included (and the wide form as a CTE)
	// Wide is the SQL of every column (wide/<Name>.sql), WideDescription
	// its first line's description; Wide is SQL when the query has one form.
	Wide            string
	WideDescription string
	// NeedsRollup: the query reads the rollups or the addresses table
	// (its description ends with "(needs tmonbench rollup)").
	NeedsRollup bool
}

// named holds the embedded queries sorted by name, parsed once.
var named = loadNamed()

// loadNamed reads every embedded .sql file. The first line is
// "-- NAME: description"; a file without it keeps an empty Description (a
// test rejects that).
func loadNamed() []Named {
	ents, err := sqlFiles.ReadDir(".")
	if err != nil {
		return nil
	}
	var out []Named
	for _, e := range ents {
		b, err := sqlFiles.ReadFile(e.Name())
		if e.IsDir() || err != nil {
			continue
		}
		q := Named{Name: strings.TrimSuffix(path.Base(e.Name()), ".sql"), SQL: string(b)}
		q.Description, _ = parseHeader(q.Name, q.SQL)
		q.NeedsRollup = strings.HasSuffix(q.Description, "(needs tmonbench rollup)")
		q.Wide, q.WideDescription = q.SQL, q.Description
		if w, err := sqlFiles.ReadFile("wide/" + e.Name()); err == nil {
			q.Wide = string(w)
			q.WideDescription, _ = parseHeader(q.Name+" --wide", q.Wide)
			first, rest, _ := strings.Cut(q.SQL, "\n")
			q.SQL = first + "\nWITH wide AS (\n" + strings.TrimRight(q.Wide, "\n") + "\n)\n" + rest
		}
		out = append(out, q)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// parseHeader returns the description from a first line "-- NAME: text".
func parseHeader(name, sql string) (string, error) {
	first, _, _ := strings.Cut(sql, "\n")
	rest, ok := strings.CutPrefix(strings.TrimSpace(first), "--")
	if !ok {
		return "", fmt.Errorf("queries: %s.sql: first line is not a -- comment", name)
	}
	n, desc, ok := strings.Cut(rest, ":")
	if !ok || strings.TrimSpace(n) != name {
		return "", fmt.Errorf("queries: %s.sql: first line must be \"-- %s: description\"", name, name)
	}
	desc = strings.TrimSpace(desc)
	if desc == "" {
		return "", fmt.Errorf("queries: %s.sql: empty description", name)
	}
	return desc, nil
}

// HasWide reports whether q has a wide form with more columns than SQL.
func (q Named) HasWide() bool { return q.Wide != q.SQL }

// List returns the named queries sorted by name (`tmonbench query --list`
// prints one line each).
func List() []Named {
	return append([]Named(nil), named...)
}

// Get returns the named query name. The error wraps ErrUnknownQuery and
// lists the known names.
func Get(name string) (Named, error) {
	names := make([]string, 0, len(named))
	for _, q := range named {
		if q.Name == name {
			return q, nil
		}
		names = append(names, q.Name)
	}
	return Named{}, fmt.Errorf("%w %q (known: %s)", ErrUnknownQuery, name, strings.Join(names, ", "))
}
