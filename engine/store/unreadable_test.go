package store

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestUnreadableManifestRefused: a collector's output whose run.json
// cannot be read (a disk fault's garbage, cut short, a folder or a
// dangling link in its place; without read permission when not root) is
// of an unknown mode, so it may be an output no capture file stands
// behind (Irreplaceable): replay (BeginRun), live (OpenReplace) and a
// collector (OpenAppend) refuse it with ErrManifestUnreadable naming the
// file, and the folder is left as it was. It was refused as "a run.json
// that tmonbench did not write" or "holds files but no run.json"
// (ErrNotRunDir), which sent the user looking for the wrong fault.
//
// Each refusal is one sentence naming the file and its fault (want: what
// follows the path): a folder read "not a regular file (d---------)",
// like permissions 000; a dangling link "stat: no such file or
// directory" without the link; null was "a run.json that tmonbench did
// not write" while [] "cannot be read"; and a read error repeated a
// prefix ("store: read manifest: open <path>: ...").
func TestUnreadableManifestRefused(t *testing.T) {
	type fault struct {
		make func(path string) error
		want string
	}
	write := func(b string) func(string) error {
		return func(p string) error { return os.WriteFile(p, []byte(b), 0o644) }
	}
	faults := map[string]fault{
		"garbage":   {write("\x00\x13\xff{"), ` is not a JSON object: it starts with "\x00\x13\xff{"; `},
		"truncated": {write(`{"tool": "tmonbench", "mode": "coll`), " is not valid JSON: unexpected end of JSON input; "},
		"null":      {write("null\n"), ` is not a JSON object: it starts with "null"; `},
		"array":     {write("[]"), ` is not a JSON object: it starts with "[]"; `},
		"folder": {func(p string) error {
			if err := os.Remove(p); err != nil {
				return err
			}
			return os.Mkdir(p, 0o755)
		}, " is a directory, not a file; "},
		"dangling link": {func(p string) error {
			if err := os.Remove(p); err != nil {
				return err
			}
			return os.Symlink(filepath.Join(filepath.Dir(p), "gone"), p)
		}, " is a dangling symbolic link (to GONE, which does not exist); "},
	}
	if os.Geteuid() != 0 { // root reads a file whatever its permissions
		faults["no permission"] = fault{func(p string) error { return os.Chmod(p, 0) }, " cannot be read: permission denied; "}
	}
	for name, f := range faults {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "coll")
			a, err := OpenAppend(out, Manifest{Mode: ModeCollector})
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			manifest := filepath.Join(out, ManifestName)
			if err := f.make(manifest); err != nil {
				t.Fatal(err)
			}
			want := "store: refusing to write into an output whose run.json cannot be read: " + manifest +
				strings.ReplaceAll(f.want, "GONE", filepath.Join(out, "gone")) +
				"it may be the output of a tmonbench collector or live run, which is never replaced: choose another --out, or repair or remove the folder first"
			before := listTree(t, out)
			check := func(by string, err error) {
				t.Helper()
				if !errors.Is(err, ErrManifestUnreadable) || errors.Is(err, ErrNotRunDir) || err.Error() != want {
					t.Errorf("%s: err = %v\nwant %s", by, err, want)
				}
			}
			_, err = BeginRun(out, testManifest())
			check("replay", err)
			_, err = OpenReplace(out, Manifest{Mode: ModeLive})
			check("live", err)
			_, err = OpenAppend(out, Manifest{Mode: ModeCollector})
			check("collector", err)
			if after := listTree(t, out); !slices.Equal(after, before) {
				t.Errorf("the output changed:\n%s\nwas\n%s", after, before)
			}
		})
	}
}

// TestModeCheckedUnderLock: BeginRun and OpenAppend checked the output's
// mode before taking its lock, so a run that wrote the folder between the
// check and the lock went unseen: a replay then replaced a collector's
// output (its rows lost), and a collector appended to a replay's output
// and rewrote its run.json as a collector's. The other run is put in that
// window through lockOutFn; the mode is read under the lock now, so both
// are refused (ErrOtherMode) and the other run's output stays whole.
func TestModeCheckedUnderLock(t *testing.T) {
	between := func(t *testing.T, other func(out string)) {
		t.Helper()
		saved := lockOutFn
		t.Cleanup(func() { lockOutFn = saved })
		lockOutFn = func(out string) (*outLock, error) {
			lockOutFn = saved // the other run takes the lock itself
			other(out)
			return saved(out)
		}
	}
	t.Run("replay after a collector", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		var before []string
		between(t, func(out string) {
			a, err := OpenAppend(out, Manifest{Mode: ModeCollector})
			if err != nil {
				t.Fatal(err)
			}
			if err := AppendTo(a, "flows", testFlows); err != nil {
				t.Fatal(err)
			}
			a.Close()
			before = listTree(t, out)
		})
		r, err := BeginRun(out, testManifest())
		if err == nil {
			r.Finish()
		}
		if !errors.Is(err, ErrOtherMode) || !strings.Contains(err.Error(), "is the output of tmonbench collector") {
			t.Errorf("replay into the output a collector wrote before the lock: err = %v, want ErrOtherMode", err)
		}
		if after := listTree(t, out); !slices.Equal(after, before) {
			t.Errorf("the collector's output changed:\n%s\nwas\n%s", after, before)
		}
		if m, err := ReadManifest(out); err != nil || m.Mode != ModeCollector {
			t.Errorf("run.json: %+v, %v; want the collector's", m, err)
		}
	})
	t.Run("collector after a replay", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		between(t, func(out string) { doRun(t, out, testFlows) })
		a, err := OpenAppend(out, Manifest{Mode: ModeCollector})
		if err == nil {
			a.Close()
		}
		if !errors.Is(err, ErrOtherMode) || !strings.Contains(err.Error(), "is the output of tmonbench replay") {
			t.Errorf("collector into the output a replay wrote before the lock: err = %v, want ErrOtherMode", err)
		}
		if m, err := ReadManifest(out); err != nil || m.Mode != ModeReplay {
			t.Errorf("run.json: %+v, %v; want the replay's", m, err)
		}
	})
}
