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
// every request counts unanswered in flow_counters), responses and not
// one request (a capture of the responses' direction only: asymmetric
// routing), or no request at all; the counts are summed over the probes
// (events.source), whose number it says when more than one. "" when a
// request and a response were seen, or no rtt_totals event says (a run
// without its totals).
func unansweredReason(db *sql.DB, cfg *config.Config, classes []string) string {
	requests := map[string]map[string]int64{}  // class -> kind -> requests
	responses := map[string]map[string]int64{} // class -> kind -> responses
	var events int64
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
			m := requests
			if f[1] == "responses" {
				m = responses
			}
			if m[class] == nil {
				m[class] = map[string]int64{}
			}
			m[class][f[2]] += n
		}
	}
	at := ""
	if len(sources) > 1 {
		at = fmt.Sprintf(" at %d probes", len(sources))
	}
	switch {
	case events == 0:
		return ""
	case len(responses) > 0 && len(requests) == 0:
		// responses whose requests the probe never saw: a capture of the
		// responses' direction only, or begun after the requests
		return fmt.Sprintf("the classes that run the rtt analysis saw responses but not one request (%s%s; event rtt_totals): a round trip is timed from a request the probe saw, so a capture of one direction only (asymmetric routing, a filter naming the responses' source) or begun after the requests times nothing (event rtt_orphan_responses)",
			perClass(cfg, responses, "responses"), at)
	case len(responses) > 0:
		return ""
	case len(requests) == 0:
		return fmt.Sprintf("the classes that run the rtt analysis saw no request of the kinds they time (%s: event rtt_totals)", strings.Join(classes, ", "))
	}
	return fmt.Sprintf("the classes that run the rtt analysis saw requests but not one response (%s%s; event rtt_totals): a class times a request by its response only when its filter passes the response too, so a filter that names one direction (dst host, dst port) leaves every request unanswered (flow_counters rtt_unanswered_<kind>)",
		perClass(cfg, requests, "requests"), at)
}

// perClass says the counts of counted (class -> kind -> n), a class of
// cfg at a time with its filter: "dnsq, filter \"udp dst port 53\": 14
// dns requests" (what names them), classes apart by "; ".
func perClass(cfg *config.Config, counted map[string]map[string]int64, what string) string {
	var saw []string
	for _, c := range cfg.Classes {
		kinds := counted[c.Name]
		if len(kinds) == 0 {
			continue
		}
		var counts []string
		noun, total := what, int64(0)
		for _, k := range slices.Sorted(maps.Keys(kinds)) {
			counts = append(counts, fmt.Sprintf("%d %s", kinds[k], k))
			total += kinds[k]
		}
		if total == 1 { // 1 tcp_handshake response
			noun = strings.TrimSuffix(what, "s")
		}
		filter := ""
		if c.Filter != "" {
			filter = fmt.Sprintf(", filter %q", c.Filter)
		}
		saw = append(saw, fmt.Sprintf("%s%s: %s %s", c.Name, filter, strings.Join(counts, ", "), noun))
	}
	return strings.Join(saw, "; ")
}
