package main

import (
	"database/sql"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/tmonbench/tmonbench/engine/config"
)

// rttField reads the per-kind request and response counts of an
// rtt_totals message ("class dns: requests_dns=14 responses_dns=14 ...";
// a count of 0 is left out of it).
var rttField = regexp.MustCompile(`\b(requests|responses)_([a-z_]+?)=(\d+)`)

// unansweredReason says why the tables of the rtt analysis are empty
// when the classes running it (classes, of cfg) made flows: the
// rtt_totals events of those classes count requests and no response (a
// class matches a response only when its filter passes it too: a filter
// naming one direction, "icmp and dst host X", times nothing, and its
// every request counts unanswered in flow_counters), or no request at
// all; the requests are summed over the probes (events.source), whose
// number it says when more than one. "" when a response was seen, or no
// rtt_totals event says (a run without its totals).
func unansweredReason(db *sql.DB, cfg *config.Config, classes []string) string {
	requests := map[string]map[string]int64{} // class -> kind -> requests
	var responses, events int64
	sources := map[string]bool{}
	rows, err := db.Query("SELECT source, message FROM events WHERE kind = 'rtt_totals'")
	if err != nil {
		return ""
	}
	defer rows.Close()
	for rows.Next() {
		var source, msg string
		if rows.Scan(&source, &msg) != nil {
			continue
		}
		class, fields, ok := strings.Cut(strings.TrimPrefix(msg, "class "), ": ")
		if !ok || !slices.Contains(classes, class) {
			continue
		}
		events++
		sources[source] = true
		for _, f := range rttField.FindAllStringSubmatch(fields, -1) {
			n, _ := strconv.ParseInt(f[3], 10, 64)
			if f[1] == "responses" {
				responses += n
				continue
			}
			if requests[class] == nil {
				requests[class] = map[string]int64{}
			}
			requests[class][f[2]] += n
		}
	}
	if events == 0 || responses > 0 {
		return ""
	}
	if len(requests) == 0 {
		return fmt.Sprintf("the classes that run the rtt analysis saw no request of the kinds they time (%s: event rtt_totals)", strings.Join(classes, ", "))
	}
	var saw []string
	for _, c := range cfg.Classes {
		kinds := requests[c.Name]
		if len(kinds) == 0 {
			continue
		}
		var counts []string
		for _, k := range slices.Sorted(maps.Keys(kinds)) {
			counts = append(counts, fmt.Sprintf("%d %s", kinds[k], k))
		}
		filter := ""
		if c.Filter != "" {
			filter = fmt.Sprintf(", filter %q", c.Filter)
		}
		saw = append(saw, fmt.Sprintf("%s%s: %s requests", c.Name, filter, strings.Join(counts, ", ")))
	}
	at := ""
	if len(sources) > 1 {
		at = fmt.Sprintf(" at %d probes", len(sources))
	}
	return fmt.Sprintf("the classes that run the rtt analysis saw requests but not one response (%s%s; event rtt_totals): a class times a request by its response only when its filter passes the response too, so a filter that names one direction (dst host, dst port) leaves every request unanswered (flow_counters rtt_unanswered_<kind>)",
		strings.Join(saw, "; "), at)
}
