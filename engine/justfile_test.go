package engine_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeNamesJustRecipes: README.md names every recipe of the justfile
// as `NAME` or `just NAME`, and says that `just bench` runs the Go
// benchmarks, not the probe benchmark: a new-user trial ran `just bench`
// for `tmonbench bench` (README's Speed) and got `go test -bench` over
// engine and replay; `bench-pcap`, the recipe that runs `tmonbench bench`
// (docs/speed.md), was not in the README at all.
func TestReadmeNamesJustRecipes(t *testing.T) {
	just, err := os.ReadFile("../justfile")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(readme)), " ")
	recipes := regexp.MustCompile(`(?m)^([a-z][a-z0-9-]*)(?: [^:\n]*)?:(?:[ \t]|$)`).FindAllStringSubmatch(string(just), -1)
	if len(recipes) < 8 {
		t.Fatalf("%d recipes read from the justfile, want its 10 or so", len(recipes))
	}
	for _, r := range recipes {
		if !strings.Contains(text, "`"+r[1]+"`") && !strings.Contains(text, "`just "+r[1]+"`") {
			t.Errorf("README.md does not name the justfile's recipe %s", r[1])
		}
	}
	if !strings.Contains(text, "`bench` (the Go benchmarks") || !strings.Contains(text, "`bench-pcap` (`tmonbench bench") {
		t.Error("README.md does not say `just bench` runs the Go benchmarks and `just bench-pcap` tmonbench bench")
	}
}
