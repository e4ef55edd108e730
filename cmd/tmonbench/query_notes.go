package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
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
				queries.RunWhat(a.Mode), out, a.PID, started)
			continue
		}
		again := ""
		if a.Mode == "collector" {
			again = "; a collector started again on this folder recovers the rest from its journal"
		}
		fmt.Fprintf(stderr, "tmonbench query: the %s writing %s (pid %d, started %s) stopped without finishing (killed?): these are the rows it wrote before%s\n",
			queries.RunWhat(a.Mode), out, a.PID, started, again)
	}
}

// emptyReasons says why tables of out are empty, in the words `query`
// prints on stderr, the TUI shows for "(no rows)" and the report under an
// empty table (queries.EmptyReasons):
//   - flows and flow_counters, when no packet made a flow: the packets a
//     --filter left out (event replay_filter), no packet read, or none of
//     them IP (event probe_totals); while the run writing out still goes,
//     that no flow has ended yet (noFlowReason);
//   - the tables only an analysis fills (config.AnalysisTables), when no
//     class of the configuration in run.json (the one in force last: a
//     collector's switch-over replaces it) runs that analysis, or when the
//     classes that run it made no flow (their filters matched no packet),
//     or when no flow was made at all (the flows reason); while the run
//     goes, in those last two cases, that nothing has come yet (their
//     flows may not have ended, and their rows do not wait for that);
//   - rtt_samples and rtt_histograms, when the classes that run rtt made
//     flows but saw requests and not one response (a filter passing one
//     direction), or no request (unansweredReason);
//   - ftp_transfers, when the FTP sessions of ftp_sessions asked for no
//     transfer (noTransferReason: a brute force of failed logins);
//   - pdu_stats, while the run writing out still goes: its rows come with
//     each probe's final report, at the end of the probe's run.
//
// Reasons are only given; a note is printed for a table a query reads that
// is empty (EmptyReasons.Notes).
func emptyReasons(db *sql.DB, out string) queries.EmptyReasons {
	r := queries.EmptyReasons{}
	st := queries.State(out)
	if why := noFlowReason(db, st); why != "" {
		r["flows"], r["flow_counters"] = why, why
	}
	if st.Running {
		r["pdu_stats"] = st.StillGoing() + ": pdu_stats is written at the end of each probe's run (its final report)"
	}
	m, err := store.ReadManifest(out)
	if err != nil || m.Config == "" {
		return r
	}
	cfg, err := config.Parse([]byte(m.Config), "run.json")
	if err != nil {
		return r
	}
	for _, a := range config.Analyses { // config.AnalysisTables: the tables only a fills
		var classes []string
		for _, c := range cfg.Classes {
			if c.Has(a) {
				classes = append(classes, c.Name)
			}
		}
		why := ""
		switch {
		case len(classes) == 0:
			why = fmt.Sprintf("no class of the configuration that wrote %s runs the %s analysis (add %q to a class's analyses)", out, a, a)
		case st.Running && (r["flows"] != "" || noFlowOf(db, classes)):
			// not "no packet matched": their flows may not have ended
			// yet; nor the flows reason (no flow has ended yet): these
			// rows do not wait for a flow's end (one-way rows come each
			// interval, a connection's when it closes)
			why = fmt.Sprintf("nothing yet: %s (its rows come as the %s analysis of %s sees traffic)", st.StillGoing(), a, strings.Join(classes, ", "))
		case r["flows"] != "":
			why = r["flows"]
		case noFlowOf(db, classes):
			why = fmt.Sprintf("no packet matched the classes that run the %s analysis (%s: no flow of theirs in flows)", a, strings.Join(classes, ", "))
		case a == config.AnalysisRTT:
			why = unansweredReason(db, cfg, classes)
		}
		for _, table := range config.AnalysisTables[a] {
			if why != "" && r[table] == "" {
				r[table] = why
			}
		}
	}
	if why := noTransferReason(db); r["ftp_transfers"] == "" && why != "" && !st.Running {
		r["ftp_transfers"] = why
	}
	return r
}

// noFlowOf reports whether flows holds no row of the classes (false when
// the count fails).
func noFlowOf(db *sql.DB, classes []string) bool {
	var n int64
	list := "'" + strings.Join(classes, "', '") + "'"
	err := db.QueryRow("SELECT count(*) FROM flows WHERE class IN (" + list + ")").Scan(&n)
	return err == nil && n == 0
}

// totalsField reads NAME=N fields of probe_totals messages.
var totalsField = regexp.MustCompile(`\b(packets|ip)=(\d+)`)

// noFlowReason says why the output holds no flow, from its events and
// st, the state of the run writing it: while the run goes, that no flow
// has ended yet (a flow's row is written when it ends, and probe_totals
// only at the end of a probe's run, so its absence says nothing of the
// packets read); else the packets --filter left out, no packet read (the
// header-only captures: capture_empty), or none of them IP; for a live
// capture or collector killed before it wrote its totals, that no flow
// had ended when it stopped. "" when it holds flows.
func noFlowReason(db *sql.DB, st queries.RunState) string {
	var flows int64
	if err := db.QueryRow("SELECT count(*) FROM flows").Scan(&flows); err != nil || flows > 0 {
		return ""
	}
	if st.Running {
		return st.NoFlowYet()
	}
	filtered, empty := eventMessages(db, "replay_filter"), eventMessages(db, "capture_empty")
	var packets, ip, totals int64
	if rows, err := db.Query("SELECT message FROM events WHERE kind = 'probe_totals'"); err == nil {
		for rows.Next() {
			var msg string
			if rows.Scan(&msg) != nil {
				continue
			}
			totals++
			for _, f := range totalsField.FindAllStringSubmatch(msg, -1) {
				n, _ := strconv.ParseInt(f[2], 10, 64)
				if f[1] == "packets" {
					packets += n
				} else {
					ip += n
				}
			}
		}
		rows.Close()
	}
	switch {
	case len(filtered) > 0 && packets == 0:
		return "no packet passed the replay's filter (" + strings.Join(filtered, "; ") + ": event replay_filter)"
	case packets == 0 && len(empty) > 0:
		return "the run read no packet: " + strings.Join(empty, "; ") + " (event capture_empty)"
	case totals == 0 && appendingAbandoned(st):
		return "no flow had ended when the run writing it stopped without finishing (killed?: it wrote no probe_totals event)"
	case packets == 0:
		return "the run read no packet (tmonbench query events)"
	case ip == 0:
		return fmt.Sprintf("none of the %d packets the probes read is IP (event probe_totals: not_ip, malformed)", packets)
	}
	return ""
}

// appendingAbandoned reports whether a collector or live capture writing
// the output's own tables stopped without finishing (st.Abandoned not
// Staged: a killed replay's staging folder leaves the last finished
// replay's tables, whose events hold their totals).
func appendingAbandoned(st queries.RunState) bool {
	for _, a := range st.Abandoned {
		if !a.Staged {
			return true
		}
	}
	return false
}

// eventMessages are the messages of the events of kind, oldest first
// (none when the query fails).
func eventMessages(db *sql.DB, kind string) []string {
	var msgs []string
	rows, err := db.Query("SELECT message FROM events WHERE kind = ? ORDER BY time, message", kind)
	if err != nil {
		return nil
	}
	defer rows.Close()
	for rows.Next() {
		var msg string
		if rows.Scan(&msg) == nil {
			msgs = append(msgs, msg)
		}
	}
	return msgs
}

// noteEmpty prints on stderr why each empty table the queries read is
// empty (emptyReasons), one line each, and reports whether a line said
// that the run writing the output is still going (RunState.StillGoing):
// query then does not say it again in a line of its own.
func noteEmpty(stderr io.Writer, db *sql.DB, reasons queries.EmptyReasons, texts []string, st queries.RunState) (saidRunning bool) {
	said := map[string]bool{}
	for _, q := range texts {
		for _, n := range reasons.Notes(context.Background(), db, q) {
			if !said[n] {
				said[n] = true
				saidRunning = saidRunning || st.Running && strings.Contains(n, st.StillGoing())
				fmt.Fprintf(stderr, "tmonbench query: %s\n", n)
			}
		}
	}
	return saidRunning
}
