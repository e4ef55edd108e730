package testenv

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryFuzzTargetHasSeeds: every fuzz target of the module has a
// committed seed corpus (testdata/fuzz/<Target>/ beside its test file), so
// `go test ./...` runs it on real inputs with nothing outside the
// repository, and `just fuzz` starts from them.
func TestEveryFuzzTargetHasSeeds(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	target := regexp.MustCompile(`(?m)^func (Fuzz\w*)\(f \*testing\.F\)`)
	n := 0
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range target.FindAllStringSubmatch(string(src), -1) {
			n++
			dir := filepath.Join(filepath.Dir(path), "testdata", "fuzz", m[1])
			ents, err := os.ReadDir(dir)
			if err != nil || len(ents) == 0 {
				rel, _ := filepath.Rel(root, dir)
				t.Errorf("%s (%s): no committed seed corpus in %s (run it with -fuzz and copy entries from $(go env GOCACHE)/fuzz)", m[1], filepath.Base(path), rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Errorf("found %d fuzz targets, expected at least 20", n)
	}
}
