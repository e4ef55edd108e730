package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
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
