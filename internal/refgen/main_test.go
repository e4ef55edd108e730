package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// TestGeneratedIsFresh: engine/observe/reference.json is what refgen
// writes from the code as it is: a new column, event kind or PDU type
// needs `go run ./internal/refgen`.
func TestGeneratedIsFresh(t *testing.T) {
	root := filepath.Join("..", "..")
	want, err := Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, Out))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run `go run ./internal/refgen` from the module root (then `go test ./engine/observe -run TestDocsTablesMD -update`)", Out)
	}
}

// TestEveryEventKindDescribed: every event kind the code emits gets a
// severity and a message in the reference (docs/tables.md "Event
// kinds"), also when the message is built in a variable (the collector's
// probe_key_missing), by a function of its own (keyMismatch), passed by
// index (the probe's limitedEvent) or written in a positional literal
// (the collector's config_switch_start): six kinds had neither; and the
// per-interval counter events of engine/probe's counter table (kind:,
// sev:, what:), 38 kinds the reference did not list at all.
func TestEveryEventKindDescribed(t *testing.T) {
	kinds, err := eventKinds(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if len(kinds) < 100 {
		t.Fatalf("%d event kinds found, want the 100 or more the code emits", len(kinds))
	}
	for _, want := range []string{"rtt_pending_full", "tcp_port_reuse", "ftp_encrypted", "ip_fragment_overlaps"} {
		if !slices.ContainsFunc(kinds, func(k observe.EventKind) bool { return k.Kind == want }) {
			t.Errorf("event kind %s (engine/probe's counter table) not found", want)
		}
	}
	for _, k := range kinds {
		if k.Severity == "" || k.Message == "" {
			t.Errorf("event kind %s: severity %q, message %q", k.Kind, k.Severity, k.Message)
		}
	}
}

// TestColumnDocsWithoutGoNames: a column's meaning in docs/tables.md
// does not open with the Go field name of its doc comment (Go's "Name is
// ..." convention): the tables name the column, never the field. Three
// did: events.time ("Time is the capture time ..."), events.count ("Count
// is how many things ...") and tcp_connections.handshake_rtt_ms
// ("HandshakeRTTMs is Karn-safe ...").
func TestColumnDocsWithoutGoNames(t *testing.T) {
	root := filepath.Join("..", "..")
	goName := regexp.MustCompile(`^[A-Z][A-Za-z0-9]* is `)
	for _, dir := range []string{filepath.Join("engine", "observe"), "replay", filepath.Join("queries", "enrich")} {
		docs, err := columnDocs(filepath.Join(root, dir))
		if err != nil {
			t.Fatal(err)
		}
		for key, d := range docs {
			if goName.MatchString(d) {
				t.Errorf("%s: %s.%s opens with a Go name: %.60q", dir, strings.Split(key, ".")[0], strings.Split(key, ".")[1], d)
			}
		}
	}
	want := map[string]string{
		"Event.time":                     "the capture time of the occurrence",
		"Event.count":                    "how many things the event reports",
		"TCPConnection.handshake_rtt_ms": "Karn-safe: from the client's last SYN",
	}
	docs, err := columnDocs(filepath.Join(root, "engine", "observe"))
	if err != nil {
		t.Fatal(err)
	}
	for key, prefix := range want {
		if !strings.HasPrefix(docs[key], prefix) {
			t.Errorf("%s: %.60q, want it to open with %q", key, docs[key], prefix)
		}
	}
}

// TestKeepalivesDocExcludesProbes: tcp_connections.client_keepalives
// counts keep-alives only, a zero-window probe counts in
// client_zero_window_probes (engine/tcpconn TestZeroWindowProbes: the
// second connection's two probes give 2 probes and 0 keep-alives, as
// tshark's tcp.analysis.zero_window_probe and keep_alive on its
// capture); its doc said "Keep-alives ... and zero-window probes ..., per
// sender", as if it counted both.
func TestKeepalivesDocExcludesProbes(t *testing.T) {
	docs, err := columnDocs(filepath.Join("..", "..", "engine", "observe"))
	if err != nil {
		t.Fatal(err)
	}
	d := docs["TCPConnection.client_keepalives"]
	if !strings.Contains(d, "counts in client_zero_window_probes, not here") || strings.Contains(d, ") and zero-window probes") {
		t.Errorf("client_keepalives: %q: want it to say a zero-window probe counts in client_zero_window_probes, not here", d)
	}
}
