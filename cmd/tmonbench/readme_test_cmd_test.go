package main

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeTestCommand: the README's test command is the one `just test`
// and CI run (-timeout 30m): the README's plain `go test ./...` panicked
// with "test timed out after 10m0s" in cmd/tmonbench for a new-user trial
// of 8e3b6a0 at a load average of 14, where the justfile's recipe passes.
func TestReadmeTestCommand(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	just, err := os.ReadFile("../../justfile")
	if err != nil {
		t.Fatal(err)
	}
	_, recipe, ok := strings.Cut(string(just), "\ntest:\n")
	if !ok {
		t.Fatal("justfile: no test recipe")
	}
	cmd, _, _ := strings.Cut(strings.TrimSpace(recipe), "\n")
	if !strings.Contains(cmd, "-timeout") {
		t.Fatalf("justfile's test recipe %q sets no -timeout", cmd)
	}
	_, block, ok := strings.Cut(string(readme), "Run the tests:\n\n```\n")
	if !ok {
		t.Fatal(`README: no "Run the tests:" block`)
	}
	got, _, _ := strings.Cut(block, "\n")
	if got != cmd {
		t.Errorf("README's test command %q, want the justfile's %q", got, cmd)
	}
}
