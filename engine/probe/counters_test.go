package probe

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/oneway"
)

// reportedElsewhere lists the Stats structs of the analysing packages that
// the probe does not watch, and where they reach the output.
var reportedElsewhere = map[string]string{
	"oneway.Stats": "collector.flushOneway: oneway_totals (every field, by reflection) and oneway_* events",
}

// TestEveryCounterReported (issue 15.13): every field of every Stats
// struct of the probe's packages is listed in counterSpecs (so the probe
// reports it: per interval when it is an anomaly, in the totals event at
// the end of the run), and every Stats struct those packages declare is
// watched or listed in reportedElsewhere. A field added to a Stats struct
// and never read fails here.
func TestEveryCounterReported(t *testing.T) {
	for typ, specs := range counterSpecs {
		seen := map[string]bool{}
		for _, sp := range specs {
			f, ok := typ.FieldByName(sp.field)
			if !ok {
				t.Errorf("%v: no field %s", typ, sp.field)
				continue
			}
			if seen[sp.field] {
				t.Errorf("%v.%s listed twice", typ, sp.field)
			}
			seen[sp.field] = true
			switch {
			case sp.how == perInterval && (sp.kind == "" || sp.what == ""):
				t.Errorf("%v.%s: a per-interval counter needs an event kind and a description", typ, sp.field)
			case sp.how == perInterval && f.Type.Kind() != reflect.Uint64 && f.Type.Kind() != reflect.Array:
				t.Errorf("%v.%s: per-interval counters are uint64", typ, sp.field)
			case sp.how == elsewhere && sp.what == "":
				t.Errorf("%v.%s: say where it is reported", typ, sp.field)
			}
		}
		for i := range typ.NumField() {
			if f := typ.Field(i); f.IsExported() && !seen[f.Name] {
				t.Errorf("%v.%s is never reported: add it to counterSpecs (engine/probe/counters.go)", typ, f.Name)
			}
		}
	}
	// every Stats struct declared by the packages the probe runs
	watched := map[string]bool{}
	for typ := range counterSpecs {
		watched[filepath.Base(typ.PkgPath())+"."+typ.Name()] = true
	}
	for _, pkg := range []string{"tcpconn", "rtt", "ftp", "reasm", "oneway", "dissect", "probe"} {
		dir := filepath.Join("..", pkg)
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, e.Name()), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				ts, ok := n.(*ast.TypeSpec)
				if !ok || !ts.Name.IsExported() || !strings.HasSuffix(ts.Name.Name, "Stats") {
					return true
				}
				if _, isStruct := ts.Type.(*ast.StructType); !isStruct {
					return true
				}
				name := pkg + "." + ts.Name.Name
				if !watched[name] && reportedElsewhere[name] == "" {
					t.Errorf("%s is reported nowhere: add it to counterSpecs or reportedElsewhere", name)
				}
				return true
			})
		}
	}
	if reflect.TypeFor[oneway.Stats]().NumField() == 0 {
		t.Error("oneway.Stats empty?")
	}
}
