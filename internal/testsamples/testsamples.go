// Package testsamples finds the test captures every package's tests read:
// testdata/ at the module root (pcap/: public captures, lab/: lab captures
// with their ground truth, edge/: edge cases from peer tools' bug reports;
// testdata/SOURCES.md says where each comes from). They are part of the
// repository, so a missing file is a broken checkout: the test fails, it
// never skips.
package testsamples

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testout"
)

// Dir returns the absolute path of testdata/ at the module root (the
// folder holding go.mod, found from the test's working directory upwards).
// The test fails when it is absent.
func Dir(tb testing.TB) string {
	tb.Helper()
	s := filepath.Join(testout.ModuleRoot(tb), "testdata")
	if _, err := os.Stat(filepath.Join(s, "SOURCES.md")); err != nil {
		tb.Fatalf("testsamples: the test data of the repository is missing: %v", err)
	}
	return s
}

// Path returns the file rel (slash-separated elements, relative to Dir).
// Captures that compress well are stored gzipped (replay reads them as
// they are): when rel is absent and rel+".gz" exists, Path returns that.
// The test fails when neither exists.
func Path(tb testing.TB, rel ...string) string {
	tb.Helper()
	p := filepath.Join(append([]string{Dir(tb)}, rel...)...)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	if _, err := os.Stat(p + ".gz"); err == nil {
		return p + ".gz"
	}
	tb.Fatalf("testsamples: %s (or %s.gz) is not in testdata/", p, p)
	return ""
}

// Captures returns the paths of every capture under Dir (*.pcap, *.pcapng
// and their .gz), the deliberately malformed ones (a "malformed" folder)
// left out, in walk order. The test fails when the walk does.
func Captures(tb testing.TB) []string {
	tb.Helper()
	var files []string
	err := filepath.WalkDir(Dir(tb), func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		n := strings.TrimSuffix(e.Name(), ".gz")
		if !e.IsDir() && !strings.Contains(p, "malformed") && (strings.HasSuffix(n, ".pcap") || strings.HasSuffix(n, ".pcapng")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("testsamples: %v", err)
	}
	return files
}
