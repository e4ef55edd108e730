package engine

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// wallClockAllowed are the engine packages and files that may read the
// wall clock, with why. Everything else (probe, analysers, pipeline, the
// Collector engine itself) gets time from packets, or a wall clock handed
// in by the command (probe.RunOptions.Wall, pipeline.Options.Wall,
// collector.ServerOptions.Now).
var wallClockAllowed = map[string]string{
	"bench":                "measures the wall time of runs",
	"collector/server.go":  "the serve loop around the Collector engine: flush period on the wall clock (ServerOptions.Now defaults to time.Now)",
	"collector/durable.go": "the journal's group commit period (ServerOptions.GroupCommit)",
	"store/publish.go":     "a running run shows its rows to queries at most once per Run.PublishEvery of wall time (Commit; parts stay sized by rows); no row depends on it (a replay at full speed publishes by capture time: CommitAt)",
}

// TestCaptureTimeOnlyClock guards the house rule "capture time is the only
// clock in engines" (style.md; docs/architecture.md): no non-test file of an
// engine package calls time.Now, time.Since, time.Until, time.Tick,
// time.After or time.NewTicker except the packages listed above. Wall time,
// where an engine needs it (idle ticks, acknowledgement timers of a live
// run), is handed in by the command as a func() int64.
func TestCaptureTimeOnlyClock(t *testing.T) {
	banned := map[string]bool{"Now": true, "Since": true, "Until": true, "Tick": true, "After": true, "NewTicker": true, "NewTimer": true, "AfterFunc": true}
	fset := token.NewFileSet()
	found := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		pkg := strings.Split(filepath.ToSlash(path), "/")[0]
		if _, ok := wallClockAllowed[pkg]; ok {
			return nil
		}
		if _, ok := wallClockAllowed[filepath.ToSlash(path)]; ok {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		found++
		timeName := ""
		for _, im := range f.Imports {
			if im.Path.Value == `"time"` {
				timeName = "time"
				if im.Name != nil {
					timeName = im.Name.Name
				}
			}
		}
		if timeName == "" {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == timeName && banned[sel.Sel.Name] {
					t.Errorf("%s: time.%s: engines run on capture time; take the wall clock from the caller (a func() int64)", fset.Position(sel.Pos()), sel.Sel.Name)
				}
			}
			return true
		})
		return nil
	})
	if err != nil || found < 50 {
		t.Fatalf("walked %d engine files: %v", found, err)
	}
}
