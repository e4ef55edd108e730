package engine_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The layout's imports run one way (house style): leaf types at the bottom,
// decoders and stores above them, analysers above those, probe and collector
// above the analysers, cmd on top. No engine package depends on replay/,
// live/, tui/ or queries/ (the engines take packets from any pkt.Source
// and hand rows to any observe.Sink), nor on duckdb-go or bubbletea, so the
// engines build without cgo. replay/ imports only engine/pkt; live/ only
// the leaf types; queries/ only engine/observe, engine/filter and
// internal/fsync (the one rule of durable files: a folder's fsync that
// the filesystem refuses with EINVAL is tolerated, the store's and the
// derived tables' alike; a leaf, which imports no module package); tui/
// only queries, engine/observe, engine/filter (the pcap-filter grammar:
// the TUI's / filter and --filter parse alike, one parser) and replay (to
// read a flow's packets back from the captures). internal/ (test helpers)
// and cmd/ (wiring) are free.

const module = "github.com/tmonbench/tmonbench/"

// rank of each engine package (relative to the module); an engine package
// may import only engine packages of a strictly lower rank. Every engine
// package has a rank and every rank names an existing package.
var rank = map[string]int{
	"engine/pkt": 0, "engine/observe": 0, "engine/config": 0, "engine/stat": 0,
	"engine/dissect": 1, "engine/pdu": 1, "engine/store": 1, "engine/journal": 1,
	"engine/filter": 2, "engine/flow": 2, "engine/reasm": 2,
	"engine/tcpconn": 3, "engine/rtt": 3, "engine/ftp": 3, "engine/oneway": 3,
	"engine/probe": 4, "engine/collector": 4,
	"engine/pipeline": 5,
	"engine/bench":    6,
}

// leafTypes are the rank-0 packages: plain types, no behaviour to import.
var leafTypes = []string{"engine/pkt", "engine/observe", "engine/config", "engine/stat"}

// outer lists, for the packages outside engine/ (by top folder: the folder
// and its subpackages), the only module packages they may import besides
// their own folder's.
var outer = map[string][]string{
	"replay":  {"engine/pkt"},
	"live":    leafTypes,
	"queries": {"engine/observe", "engine/filter", "internal/fsync"},
	"tui":     {"queries", "engine/observe", "engine/filter", "replay"},
}

// leaves are the packages outside engine/ that outer lets a folder import
// although they are not its own: they must import no module package, or
// the folder would reach through them what outer forbids.
var leaves = []string{"internal/fsync"}

// forbiddenInEngine are what no engine package may depend on, even
// indirectly: module folders (prefixes) and external modules (prefixes).
var forbiddenInEngine = []string{
	module + "replay", module + "live", module + "tui", module + "queries", module + "cmd",
	"github.com/duckdb/", "github.com/marcboeker/go-duckdb", "github.com/charmbracelet/", "charm.land/",
}

// forbiddenInEngineTests are what no engine package's test may import,
// directly or through a module package it imports: DuckDB (cgo) and the
// TUI toolkit, and internal/testdb, which opens DuckDB over an output, so
// that `CGO_ENABLED=0 go test ./engine/...` builds (house style). An
// engine test may read captures through replay/ (its tests feed the
// engines real files); the rows an engine writes are checked from the
// Parquet files (parquet-go), not through SQL.
var forbiddenInEngineTests = []string{
	"github.com/duckdb/", "github.com/marcboeker/go-duckdb", "github.com/charmbracelet/", "charm.land/",
	module + "internal/testdb", module + "queries", module + "tui",
}

// forbidden reports whether package d is one of prefixes or under one
// (a prefix ending in "/" matches any path it starts).
func forbidden(d string, prefixes []string) bool {
	for _, f := range prefixes {
		if d == f || strings.HasPrefix(d, f+"/") || strings.HasSuffix(f, "/") && strings.HasPrefix(d, f) {
			return true
		}
	}
	return false
}

type listed struct {
	ImportPath   string
	Imports      []string
	TestImports  []string // of the package's _test.go files in the package
	XTestImports []string // of its _test.go files in package x_test
	Deps         []string
	CgoFiles     []string
	Error        *struct{ Err string }
	DepsErrors   []*struct{ Err string }
}

// goList runs `go list -e -json` on patterns with env added and decodes
// the packages.
func goList(t *testing.T, env []string, patterns ...string) []listed {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-e", "-json"}, patterns...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v", patterns, err)
	}
	var pkgs []listed
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p listed
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// folder is the top folder of a module-relative package path.
func folder(name string) string {
	top, _, _ := strings.Cut(name, "/")
	return top
}

// checkImports applies the rules to the module's packages and returns one
// line per violation.
func checkImports(pkgs []listed, rank map[string]int) []string {
	var bad []string
	seen := map[string]bool{}
	deps := map[string][]string{} // of every package listed, for what a test imports
	for _, p := range pkgs {
		deps[p.ImportPath] = p.Deps
	}
	for _, p := range pkgs {
		name, ok := strings.CutPrefix(p.ImportPath, module)
		if !ok {
			continue
		}
		seen[name] = true
		top := folder(name)
		if top == "engine" && name != "engine" {
			r, known := rank[name]
			if !known {
				bad = append(bad, fmt.Sprintf("package %s has no rank in engine/deps_test.go: place it in the layout", name))
			}
			for _, d := range p.Deps {
				if forbidden(d, forbiddenInEngine) {
					bad = append(bad, fmt.Sprintf("%s depends on %s: engines take packets from a pkt.Source and give rows to an observe.Sink; they need no source, UI, query engine or cgo", name, d))
				}
			}
			for _, imp := range slices.Concat(p.TestImports, p.XTestImports) {
				via := ""
				if !forbidden(imp, forbiddenInEngineTests) {
					i := slices.IndexFunc(deps[imp], func(d string) bool { return forbidden(d, forbiddenInEngineTests) })
					if i < 0 {
						continue
					}
					via = " through " + deps[imp][i]
				}
				bad = append(bad, fmt.Sprintf("%s's tests import %s%s: engine tests build without cgo (CGO_ENABLED=0 go test ./engine/...); no DuckDB, TUI or internal/testdb", name, imp, via))
			}
			for _, imp := range p.Imports {
				dep, ok := strings.CutPrefix(imp, module)
				if !ok || folder(dep) != "engine" {
					continue
				}
				if dr, ok := rank[dep]; known && ok && dr >= r {
					bad = append(bad, fmt.Sprintf("%s (rank %d) imports %s (rank %d): imports must run downwards", name, r, dep, dr))
				}
			}
		}
		if slices.Contains(leaves, name) {
			for _, imp := range p.Imports {
				if dep, ok := strings.CutPrefix(imp, module); ok {
					bad = append(bad, fmt.Sprintf("%s imports %s: it is a leaf other folders may import (leaves), it imports no module package", name, dep))
				}
			}
		}
		if list, ok := outer[top]; ok {
			for _, imp := range p.Imports {
				dep, ok := strings.CutPrefix(imp, module)
				if ok && folder(dep) != top && !slices.Contains(list, dep) {
					bad = append(bad, fmt.Sprintf("%s imports %s: %s/ may import only %v", name, dep, top, list))
				}
			}
		}
	}
	var stale []string
	for name := range rank {
		if !seen[name] {
			stale = append(stale, name)
		}
	}
	sort.Strings(stale)
	for _, name := range stale {
		bad = append(bad, fmt.Sprintf("rank of %s, which does not exist: drop it", name))
	}
	return bad
}

// TestImportsRunOneWay checks the module's real import graph. The graph is
// listed with cgo on, so that it is the same whether or not the test
// itself runs with CGO_ENABLED=0 (queries/ needs cgo for DuckDB).
func TestImportsRunOneWay(t *testing.T) {
	pkgs := goList(t, []string{"CGO_ENABLED=1"}, module+"...")
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages", len(pkgs))
	}
	for _, line := range checkImports(pkgs, rank) {
		t.Error(line)
	}
}

// TestRulesCatch shows that each rule catches what it forbids, on import
// graphs made up for the purpose.
func TestRulesCatch(t *testing.T) {
	m := func(s ...string) []string {
		for i := range s {
			if !strings.Contains(s[i], ".") {
				s[i] = module + s[i]
			}
		}
		return s
	}
	base := func() []listed {
		var pkgs []listed
		for name := range rank {
			pkgs = append(pkgs, listed{ImportPath: module + name})
		}
		return pkgs
	}
	for _, c := range []struct {
		name string
		pkg  listed
		want string // in a violation line; "" for none
	}{
		{"engine imports replay", listed{ImportPath: module + "engine/pipeline", Imports: m("replay"), Deps: m("replay", "engine/pkt")}, "engine/pipeline depends on " + module + "replay"},
		{"engine depends on queries indirectly", listed{ImportPath: module + "engine/probe", Deps: m("queries/rollup")}, "engine/probe depends on " + module + "queries/rollup"},
		{"engine depends on duckdb", listed{ImportPath: module + "engine/flow", Deps: []string{"github.com/duckdb/duckdb-go/v2"}}, "engine/flow depends on github.com/duckdb/duckdb-go/v2"},
		{"engine depends on bubbletea", listed{ImportPath: module + "engine/collector", Deps: []string{"github.com/charmbracelet/bubbletea"}}, "bubbletea"},
		{"engine depends on live", listed{ImportPath: module + "engine/collector", Deps: m("live")}, "depends on " + module + "live"},
		{"engine depends on tui", listed{ImportPath: module + "engine/collector", Deps: m("tui/views")}, "depends on " + module + "tui/views"},
		{"engine test imports duckdb", listed{ImportPath: module + "engine/store", XTestImports: []string{"github.com/duckdb/duckdb-go/v2"}}, "engine/store's tests import github.com/duckdb/duckdb-go/v2"},
		{"engine test imports testdb", listed{ImportPath: module + "engine/pipeline", TestImports: m("internal/testdb")}, "engine/pipeline's tests import " + module + "internal/testdb"},
		{"engine test imports replay", listed{ImportPath: module + "engine/pipeline", XTestImports: m("replay", "internal/testsamples")}, ""},
		{"engine imports upwards", listed{ImportPath: module + "engine/dissect", Imports: m("engine/filter")}, "engine/dissect (rank 1) imports engine/filter (rank 2)"},
		{"engine imports sideways", listed{ImportPath: module + "engine/stat", Imports: m("engine/pkt")}, "engine/stat (rank 0) imports engine/pkt (rank 0)"},
		{"engine package without rank", listed{ImportPath: module + "engine/newthing"}, "engine/newthing has no rank"},
		{"live imports an analyser", listed{ImportPath: module + "live", Imports: m("engine/flow")}, "live imports engine/flow"},
		{"live subpackage imports replay", listed{ImportPath: module + "live/afpacket", Imports: m("replay")}, "live/afpacket imports replay"},
		{"live imports leaf types", listed{ImportPath: module + "live", Imports: m("engine/pkt", "engine/config", "live/afpacket")}, ""},
		{"tui imports the pipeline", listed{ImportPath: module + "tui", Imports: m("engine/pipeline")}, "tui imports engine/pipeline"},
		{"tui imports queries and observe", listed{ImportPath: module + "tui", Imports: m("queries", "engine/observe", "tui/views")}, ""},
		{"replay imports dissect", listed{ImportPath: module + "replay", Imports: m("engine/dissect")}, "replay imports engine/dissect"},
		{"queries imports the store", listed{ImportPath: module + "queries/rollup", Imports: m("engine/store", "queries")}, "queries/rollup imports engine/store"},
		{"queries imports internal/fsync", listed{ImportPath: module + "queries/dataset", Imports: m("internal/fsync", "engine/observe")}, ""},
		{"queries imports another internal package", listed{ImportPath: module + "queries/dataset", Imports: m("internal/testdb")}, "queries/dataset imports internal/testdb"},
		{"a leaf imports the module", listed{ImportPath: module + "internal/fsync", Imports: m("engine/observe")}, "internal/fsync imports engine/observe: it is a leaf"},
		{"cmd imports anything", listed{ImportPath: module + "cmd/tmonbench", Imports: m("engine/pipeline", "replay", "queries", "tui")}, ""},
	} {
		got := checkImports(append(base(), c.pkg), rank)
		found := c.want == "" && len(got) == 0
		for _, line := range got {
			if c.want != "" && strings.Contains(line, c.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: violations %q, want one with %q", c.name, got, c.want)
		}
	}
	// A test that imports a module package depending on DuckDB is
	// reported with the way it reaches it.
	through := append(base(),
		listed{ImportPath: module + "internal/refgen", Deps: m("engine/observe", "queries", "github.com/duckdb/duckdb-go/v2")},
		listed{ImportPath: module + "engine/flow", XTestImports: m("internal/refgen")})
	if got := checkImports(through, rank); len(got) != 1 || !strings.Contains(got[0], "engine/flow's tests import "+module+"internal/refgen through "+module+"queries") {
		t.Errorf("engine test importing DuckDB indirectly: %q", got)
	}
	// A rank naming a package that does not exist is reported.
	stale := map[string]int{"engine/signature": 2}
	for k, v := range rank {
		stale[k] = v
	}
	if got := checkImports(base(), stale); len(got) != 1 || !strings.Contains(got[0], "rank of engine/signature, which does not exist") {
		t.Errorf("stale rank: %q", got)
	}
}

// TestEnginesBuildWithoutCgo: with CGO_ENABLED=0 every package of engine/,
// replay/ and live/ and everything they depend on loads without error and
// has no cgo file (the house style's promise; CI also runs their tests
// with CGO_ENABLED=0).
func TestEnginesBuildWithoutCgo(t *testing.T) {
	pkgs := goList(t, []string{"CGO_ENABLED=0"}, module+"engine/...", module+"replay/...", module+"live/...")
	if len(pkgs) < 15 {
		t.Fatalf("go list found %d packages", len(pkgs))
	}
	for _, p := range pkgs {
		if p.Error != nil {
			t.Errorf("%s without cgo: %s", p.ImportPath, p.Error.Err)
		}
		for _, e := range p.DepsErrors {
			t.Errorf("%s without cgo: dependency: %s", p.ImportPath, e.Err)
		}
		if len(p.CgoFiles) > 0 {
			t.Errorf("%s has cgo files %v", p.ImportPath, p.CgoFiles)
		}
	}
}
