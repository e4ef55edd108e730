package engine_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// The layout's imports run one way (house style): leaf types at the bottom,
// decoders and stores above them, analysers above those, probe and collector
// above the analysers, cmd on top. replay/ and live/ import only leaf types;
// queries/ only observe; tui/ only queries and observe. No engine package
// imports duckdb-go or bubbletea, so the engines build without cgo.

const module = "github.com/tmonbench/tmonbench/"

// rank of each package (relative to the module); a package may import only
// packages of a strictly lower rank.
var rank = map[string]int{
	"engine/pkt": 0, "engine/observe": 0, "engine/config": 0, "engine/stat": 0,
	"engine/dissect": 1, "engine/pdu": 1, "engine/store": 1,
	"engine/filter": 2, "engine/flow": 2, "engine/reasm": 2,
	"engine/tcpconn": 3, "engine/rtt": 3, "engine/ftp": 3, "engine/oneway": 3, "engine/signature": 2,
	"engine/probe": 4, "engine/collector": 4,
	"engine/pipeline": 5,
	"replay":          1, "live": 1, "queries": 1, "tui": 2,
	"cmd/tmonbench": 9,
}

// allowed lists, for the outer packages, the only module packages they may import.
var allowed = map[string][]string{
	"replay":  {"engine/pkt"},
	"live":    {"engine/pkt"},
	"queries": {"engine/observe"},
	"tui":     {"queries", "engine/observe"},
}

var forbiddenInEngine = []string{"github.com/duckdb/", "github.com/charmbracelet/", "charm.land/"}

type listed struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func TestImportsRunOneWay(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p listed
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(p.ImportPath, module)
		r, known := rank[name]
		if !known {
			if strings.HasPrefix(name, "internal") || name == "engine" {
				continue
			}
			t.Errorf("package %s has no rank in engine/deps_test.go: place it in the layout", name)
			continue
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			dep := strings.TrimPrefix(imp, module)
			if list, ok := allowed[name]; ok && !contains(list, dep) {
				t.Errorf("%s imports %s: it may import only %v", name, dep, list)
			}
			if dr, ok := rank[dep]; ok && dr >= r {
				t.Errorf("%s (rank %d) imports %s (rank %d): imports must run downwards", name, r, dep, dr)
			}
		}
		if strings.HasPrefix(name, "engine/") || name == "replay" || name == "live" {
			for _, d := range p.Deps {
				for _, f := range forbiddenInEngine {
					if strings.HasPrefix(d, f) {
						t.Errorf("%s depends on %s: engines and sources must not need cgo or the UI", name, d)
					}
				}
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
