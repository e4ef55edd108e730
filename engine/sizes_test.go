package engine_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// Size limits of the house (issue 10.1, 10.7): a file a newcomer can read,
// a function that fits a screen or two, cmd/ as thin wiring.
const (
	maxFileLines = 800
	maxFuncLines = 150
	maxCmdLines  = 250 // non-test files under cmd/
)

// TestSizes walks every Go file of the module (tests included, testdata
// and hidden folders left out) and fails on a file over maxFileLines, a
// function over maxFuncLines, or a cmd/ file over maxCmdLines: split along
// the seams that are already there. Shown to fail by lowering a limit
// below the largest file (engine/collector/collector.go was 1005 lines).
func TestSizes(t *testing.T) {
	root := ".."
	fset := token.NewFileSet()
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		n++
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		lines := fset.File(f.Pos()).LineCount()
		if lines > maxFileLines {
			t.Errorf("%s: %d lines, more than %d", rel, lines, maxFileLines)
		}
		if strings.HasPrefix(rel, "cmd/") && !strings.HasSuffix(rel, "_test.go") && lines > maxCmdLines {
			t.Errorf("%s: %d lines, more than %d for a cmd/ file (wiring only: flags, exit codes, printing)", rel, lines, maxCmdLines)
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			if l := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1; l > maxFuncLines {
				t.Errorf("%s: func %s: %d lines, more than %d", rel, fd.Name.Name, l, maxFuncLines)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Fatalf("walked %d Go files from %s: not the module root?", n, root)
	}
}
