package bench

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp/syntax"
	"strings"
	"testing"
)

// TestRuleNamesExist: the stage rules name the module's functions by
// string (engine/probe's (*Workers).dispatch, engine/collector's
// (*Collector).take, ...), so a function renamed or removed left its rule
// matching nothing and its CPU time fell silently to a coarser stage
// (most to "probe counters", whose rule takes every engine/probe
// function). Every name each rule spells out (its regular expression
// expanded: each alternative, each prefix it matches from) must still
// match a function of the module's source (go/parser over every non-test
// .go file under the module root: functions, methods as the profile names
// them, "(*T).M" or "T.M", and a function's closures "F.func1"); a
// rename fails here until the rule follows it.
func TestRuleNamesExist(t *testing.T) {
	funcs := moduleFuncs(t)
	const modPath = "github.com/tmonbench/tmonbench/"
	checked := 0
	for _, r := range rules {
		for _, n := range expandRule(t, r.re.String()) {
			if !strings.HasPrefix(n.s, modPath) {
				continue // the runtime's, the standard library's, parquet-go's: not this module's to rename
			}
			checked++
			if !matchesAny(funcs, n) {
				t.Errorf("stage %q: rule %s names %q%s, which no function of the module has (renamed? make the rule follow it)",
					r.stage, r.re, n.s, map[bool]string{true: " (whole name)"}[n.end])
			}
		}
	}
	if checked < 80 { // the rules spell out 85 names of the module's (2026-12-07)
		t.Fatalf("only %d names of the module's in the rules: the expansion lost some", checked)
	}
}

// ruleName is one name a rule's expression spells out: a prefix of the
// function names it matches, or (end) a whole name.
type ruleName struct {
	s   string
	end bool
}

// matchesAny reports whether a function of funcs has name n: the whole
// name, or (not n.end) one it begins; "F." (F's closures, work(\.|$))
// when F itself is one: a function without a closure today may get one.
func matchesAny(funcs []string, n ruleName) bool {
	for _, f := range funcs {
		if f == n.s || !n.end && (strings.HasPrefix(f, n.s) || f+"." == n.s) {
			return true
		}
	}
	return false
}

// expandRule lists the names expression re spells out: its alternatives
// multiplied out, ^ and $ taken as the start and end of a name. It fails
// the test on a repetition or a wildcard (no finite list of names).
func expandRule(t *testing.T, re string) []ruleName {
	t.Helper()
	rx, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		t.Fatal(err)
	}
	var expand func(rx *syntax.Regexp) []ruleName
	cat := func(a, b []ruleName) []ruleName {
		var out []ruleName
		for _, x := range a {
			for _, y := range b {
				if x.end && y.s != "" {
					continue // text after $: matches nothing
				}
				out = append(out, ruleName{s: x.s + y.s, end: x.end || y.end})
			}
		}
		return out
	}
	expand = func(rx *syntax.Regexp) []ruleName {
		switch rx.Op {
		case syntax.OpEmptyMatch, syntax.OpBeginText, syntax.OpBeginLine:
			return []ruleName{{}}
		case syntax.OpEndText, syntax.OpEndLine:
			return []ruleName{{end: true}}
		case syntax.OpLiteral:
			return []ruleName{{s: string(rx.Rune)}}
		case syntax.OpCharClass:
			var out []ruleName
			for i := 0; i+1 < len(rx.Rune); i += 2 {
				if rx.Rune[i+1]-rx.Rune[i] > 64 {
					t.Fatalf("%s: character class %s too wide to list", re, rx)
				}
				for c := rx.Rune[i]; c <= rx.Rune[i+1]; c++ {
					out = append(out, ruleName{s: string(c)})
				}
			}
			return out
		case syntax.OpCapture:
			return expand(rx.Sub[0])
		case syntax.OpQuest:
			return append(expand(rx.Sub[0]), ruleName{})
		case syntax.OpConcat:
			out := []ruleName{{}}
			for _, sub := range rx.Sub {
				out = cat(out, expand(sub))
			}
			return out
		case syntax.OpAlternate:
			var out []ruleName
			for _, sub := range rx.Sub {
				out = append(out, expand(sub)...)
			}
			return out
		}
		t.Fatalf("%s: %s (%v) names no finite list of functions", re, rx, rx.Op)
		return nil
	}
	return expand(rx)
}

// moduleFuncs lists the functions of the module's non-test source as a
// CPU profile names them: "IMPORTPATH.F", "IMPORTPATH.(*T).M",
// "IMPORTPATH.T.M" (a generic type's "T[...]"), and "IMPORTPATH.F.func1"
// for a function holding a closure.
func moduleFuncs(t *testing.T) []string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := "github.com/tmonbench/tmonbench"
		if rel != "." {
			pkg += "/" + filepath.ToSlash(rel)
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok {
				continue
			}
			name := pkg + "." + fd.Name.Name
			if fd.Recv != nil && len(fd.Recv.List) == 1 {
				name = pkg + "." + recvName(fd.Recv.List[0].Type) + "." + fd.Name.Name
			}
			out = append(out, name)
			closure := false
			ast.Inspect(fd, func(n ast.Node) bool {
				_, lit := n.(*ast.FuncLit)
				closure = closure || lit
				return !closure
			})
			if closure {
				out = append(out, name+".func1")
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 1000 {
		t.Fatalf("%d functions under %s: not the module's source", len(out), root)
	}
	return out
}

// recvName is a method's receiver type as a profile names it: "(*T)",
// "T", "(*T[...])".
func recvName(e ast.Expr) string {
	star := false
	if s, ok := e.(*ast.StarExpr); ok {
		star, e = true, s.X
	}
	var n string
	switch x := e.(type) {
	case *ast.Ident:
		n = x.Name
	case *ast.IndexExpr:
		n = x.X.(*ast.Ident).Name + "[...]"
	case *ast.IndexListExpr:
		n = x.X.(*ast.Ident).Name + "[...]"
	}
	if star {
		return "(*" + n + ")"
	}
	return n
}
