package main

import (
	"database/sql"
	"fmt"
	"io"
	"regexp"
	"slices"
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/queries"
)

// noteAbandoned says on stderr, for each run into out whose process is
// gone without finishing it (killed, crashed), what the tables hold: a
// replay's rows are not in them (they are the last finished replay's), an
// appending run's are, up to where it stopped.
func noteAbandoned(stderr io.Writer, out string, st queries.RunState) {
	for _, a := range st.Abandoned {
		started := a.Started.UTC().Format(time.RFC3339)
		if a.Staged {
			fmt.Fprintf(stderr, "tmonbench query: a %s into %s (pid %d, started %s) stopped without finishing (killed?): none of its rows are in these tables, which are the last finished replay's\n",
				runWhat(a.Mode), out, a.PID, started)
			continue
		}
		again := ""
		if a.Mode == "collector" {
			again = "; a collector started again on this folder recovers the rest from its journal"
		}
		fmt.Fprintf(stderr, "tmonbench query: the %s writing %s (pid %d, started %s) stopped without finishing (killed?): these are the rows it wrote before%s\n",
			runWhat(a.Mode), out, a.PID, started, again)
	}
}

// noteAnalysesOff says on stderr, for each empty table sql reads that only
// an analysis fills, when no class of the configuration in run.json (the
// one in force last: a collector's switch-over replaces it) runs that
// analysis: the table is empty for that reason, not for want of traffic.
// Nothing when run.json holds no config.
func noteAnalysesOff(stderr io.Writer, db *sql.DB, out string, sqls []string) {
	m, err := store.ReadManifest(out)
	if err != nil || m.Config == "" {
		return
	}
	cfg, err := config.Parse([]byte(m.Config), "run.json")
	if err != nil {
		return
	}
	for _, a := range config.Analyses { // config.AnalysisTables: the tables only a fills
		if slices.ContainsFunc(cfg.Classes, func(c config.Class) bool { return c.Has(a) }) {
			continue
		}
		for _, table := range config.AnalysisTables[a] {
			if !slices.ContainsFunc(sqls, regexp.MustCompile(`\b`+table+`\b`).MatchString) {
				continue
			}
			var n int64
			if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil || n > 0 {
				continue // rows of an earlier version that ran it, or no such view
			}
			fmt.Fprintf(stderr, "tmonbench query: %s is empty: no class of the configuration that wrote %s runs the %s analysis (add %q to a class's analyses)\n",
				table, out, a, a)
			break // one line per analysis
		}
	}
}
