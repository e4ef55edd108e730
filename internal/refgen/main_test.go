package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
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
