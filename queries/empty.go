package queries

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// EmptyReasons says why tables of an output are empty: table name ->
// the reason, one sentence without a final period (e.g. "no class of the
// configuration that wrote out runs the oneway analysis (add \"oneway\"
// to a class's analyses)"). The command builds it from the output's
// run.json and events (cmd/tmonbench: emptyReasons); `tmonbench query`
// prints Notes on stderr, the TUI shows them in place of "(no rows)" and
// the HTML report under an empty table, so every place that shows an
// empty result says why in the same words. A rollup (T_1m, T_1h, T_1d)
// is empty for its table T's reason.
type EmptyReasons map[string]string

// tableWord matches the names a query may read: words of lower-case
// letters, digits and underscores.
var tableWord = regexp.MustCompile(`\b[a-z][a-z0-9_]*\b`)

// Notes returns, for each table with a reason that query reads (named
// as a word of its text outside comments and string literals, codeOnly;
// a rollup by its own name) and that is empty in
// db, the line "T is empty: reason", flows first (the other tables'
// reason is often its), then in the order query names them; one line per
// reason; nil when none. A table db has no view of is left out.
func (r EmptyReasons) Notes(ctx context.Context, db Querier, query string) []string {
	if len(r) == 0 {
		return nil
	}
	var names []string // in the order the query names them, flows first
	for _, w := range tableWord.FindAllString(codeOnly(query), -1) {
		if _, base := r.reason(w); base != "" && !slices.Contains(names, w) {
			names = append(names, w)
		}
	}
	if i := slices.Index(names, "flows"); i > 0 {
		names = slices.Insert(slices.Delete(names, i, i+1), 0, "flows")
	}
	var notes []string
	said := map[string]bool{}
	for _, n := range names {
		why, base := r.reason(n)
		var rows int64
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+n).Scan(&rows); err != nil || rows > 0 {
			continue // rows (of an earlier run), or no such view
		}
		if said[base] {
			continue // one line per reason: oneway_loss and oneway_latency share theirs
		}
		said[base] = true
		notes = append(notes, fmt.Sprintf("%s is empty: %s", n, why))
	}
	return notes
}

// For returns why table is empty ("" when r has no reason for it): the
// text after "T is empty: " of its note, for a screen that already knows
// the table has no row.
func (r EmptyReasons) For(table string) string {
	why, _ := r.reason(table)
	return why
}

// Querier runs a query returning at most one row: *sql.DB and *sql.Conn.
type Querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// reason returns the sentence for table and the reason it comes from
// (its own, or its source table's for a rollup); "", "" when none.
func (r EmptyReasons) reason(table string) (why, base string) {
	if why, ok := r[table]; ok {
		return why, why
	}
	for _, suffix := range []string{"_1m", "_1h", "_1d"} {
		if src, ok := strings.CutSuffix(table, suffix); ok {
			if why, ok := r[src]; ok {
				return why + " (" + table + " is rolled up from " + src + ")", why
			}
		}
	}
	return "", ""
}

// codeOnly returns query with its comments (-- to the end of the line,
// /* */, nested as DuckDB nests them) and string literals ('...' with ”
// inside, $$...$$ and $tag$...$tag$) made spaces, so that a table named
// only there ("-- flows is empty here", WHERE kind = 'flows_evicted') is
// not taken for a table the query reads. Quoted identifiers ("flows")
// stay: they name tables.
func codeOnly(query string) string {
	b := []byte(query)
	blank := func(from, to int) {
		for i := from; i < to && i < len(b); i++ {
			if b[i] != '\n' {
				b[i] = ' '
			}
		}
	}
	for i := 0; i < len(b); {
		switch {
		case b[i] == '"': // a quoted identifier: kept, skipped whole
			j := strings.IndexByte(query[i+1:], '"')
			if j < 0 {
				return string(b)
			}
			i += j + 2
		case strings.HasPrefix(query[i:], "--"):
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i
			}
			blank(i, i+j)
			i += j
		case strings.HasPrefix(query[i:], "/*"):
			depth, j := 0, i
			for j < len(query) {
				if strings.HasPrefix(query[j:], "/*") {
					depth, j = depth+1, j+2
				} else if strings.HasPrefix(query[j:], "*/") {
					depth, j = depth-1, j+2
					if depth == 0 {
						break
					}
				} else {
					j++
				}
			}
			blank(i, j)
			i = j
		case b[i] == '\'':
			j := i + 1
			for j < len(query) {
				if query[j] == '\'' {
					if j+1 < len(query) && query[j+1] == '\'' {
						j += 2 // '' inside the literal
						continue
					}
					j++
					break
				}
				j++
			}
			blank(i, j)
			i = j
		case b[i] == '$':
			if tag := dollarTag.FindString(query[i:]); tag != "" {
				end := strings.Index(query[i+len(tag):], tag)
				if end < 0 {
					end = len(query) - i - len(tag)
				} else {
					end += len(tag)
				}
				blank(i, i+len(tag)+end)
				i += len(tag) + end
				continue
			}
			i++
		default:
			i++
		}
	}
	return string(b)
}

// dollarTag matches the opening of a dollar-quoted string: $$ or $tag$.
var dollarTag = regexp.MustCompile(`^\$([A-Za-z_][A-Za-z0-9_]*)?\$`)
