//go:build unix

package store

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// TestOneFileMode: run.json (the run's configuration text, its keys
// recorded as "redacted") is written with the mode of the Parquet parts it
// describes, as every file of an output: 0644 less the process's umask,
// folders 0755 less it, a replay's and a collector's output alike. Under
// umask 027 (a collector run as a service with group-only access) every
// file is 0640 and every folder 0750, run.json included: one mode an
// operator sets, not a stricter file beside readable tables or the
// reverse (docs: README, Tables). A running replay's staging folder, which
// its tables are read from while it runs, too (it was 0755 whatever the
// umask).
func TestOneFileMode(t *testing.T) {
	for _, umask := range []int{0o022, 0o027, 0o077} {
		old := syscall.Umask(umask)
		dir := t.TempDir()
		replay := filepath.Join(dir, "replay")
		doRun(t, replay, testFlows)
		r, err := BeginRun(filepath.Join(dir, "running"), testManifest())
		if err != nil {
			syscall.Umask(old)
			t.Fatal(err)
		}
		fi, err := os.Stat(r.Dir())
		r.Abort()
		if err != nil {
			syscall.Umask(old)
			t.Fatal(err)
		}
		if fi.Mode().Perm() != fs.FileMode(0o755&^umask) {
			t.Errorf("umask %03o: a running replay's staging folder %s is %v, want %v", umask, r.Dir(), fi.Mode().Perm(), fs.FileMode(0o755&^umask))
		}
		coll := filepath.Join(dir, "coll")
		a, err := OpenAppend(coll, Manifest{Mode: ModeCollector, Config: "probes: [{name: A, key: redacted}]", Started: time.Unix(1700000000, 0).UTC()})
		if err == nil {
			err = a.Write(&observe.Batch{Flows: testFlows})
		}
		if err == nil {
			err = a.Close()
		}
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		wantFile, wantDir := fs.FileMode(0o644&^umask), fs.FileMode(0o755&^umask)
		for _, out := range []string{replay, coll} {
			var sawManifest, sawPart bool
			filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					t.Fatal(err)
				}
				fi, err := d.Info()
				if err != nil {
					t.Fatal(err)
				}
				want := wantFile
				if d.IsDir() {
					want = wantDir
				}
				if fi.Mode().Perm() != want {
					t.Errorf("umask %03o: %s is %v, want %v", umask, p, fi.Mode().Perm(), want)
				}
				sawManifest = sawManifest || d.Name() == ManifestName
				sawPart = sawPart || strings.HasSuffix(p, ".parquet")
				return nil
			})
			if !sawManifest || !sawPart {
				t.Errorf("umask %03o: %s: run.json %v, a Parquet part %v", umask, out, sawManifest, sawPart)
			}
		}
	}
}
