package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/testenv"
)

var testEvents = []observe.Event{
	{Time: 1700000000500000000, Source: "probe:p1", Kind: "capture_truncated", Severity: observe.SevWarning, Message: "frame 12: 60 of 1514 bytes"},
}

func testManifest() Manifest {
	return Manifest{
		Version:    "v0.0.0-test",
		Command:    []string{"tmonbench", "replay", "a.pcap"},
		Inputs:     []Input{{Path: "a.pcap", SizeBytes: 1234}},
		ConfigHash: "xxh3:0123456789abcdef",
		Started:    time.Unix(1700000000, 0).UTC(),
	}
}

// doRun writes one committed run of the given flows (plus events and any
// extra tables) into out.
func doRun(t *testing.T, out string, flows []observe.Flow, extra ...string) {
	t.Helper()
	r, err := BeginRun(out, testManifest())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Abort()
	if _, err := Append(r, observe.TableFlows, flows); err != nil {
		t.Fatal(err)
	}
	if _, err := Append(r, observe.TableEvents, testEvents); err != nil {
		t.Fatal(err)
	}
	for _, table := range extra {
		if _, err := Append[observe.Event](r, table, nil); err != nil {
			t.Fatal(err)
		}
	}
	r.SetFinished(time.Unix(1700000060, 0).UTC())
	if err := r.Finish(); err != nil {
		t.Fatal(err)
	}
}

func readFlows(t *testing.T, out string) []observe.Flow {
	t.Helper()
	var files []string // flat parts and Hive partitions (sorted by WalkDir)
	filepath.WalkDir(filepath.Join(out, observe.TableFlows), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".parquet") {
			files = append(files, p)
		}
		return nil
	})
	var all []observe.Flow
	for _, f := range files {
		rows, err := parquet.ReadFile[observe.Flow](f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, rows...)
	}
	return all
}

func TestRunCommitFresh(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "nested", "tmon-out") // parent created by BeginRun
	r, err := BeginRun(out, testManifest())
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(r.Dir()) != out || !strings.HasPrefix(filepath.Base(r.Dir()), StagingPrefix) {
		t.Errorf("staging %s is not a hidden folder inside %s", r.Dir(), out)
	}
	if m, err := ReadManifest(r.Dir()); err != nil || m.State != StateRunning || m.PID != os.Getpid() {
		t.Errorf("staged run.json %+v (%v): want state running and our pid", m, err)
	}
	if _, err := Append(r, observe.TableFlows, testFlows[:1]); err != nil {
		t.Fatal(err)
	}
	if _, err := Append(r, observe.TableFlows, testFlows[1:]); err != nil {
		t.Fatal(err)
	}
	if _, err := Append[observe.Event](r, observe.TableEvents, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, ManifestName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("run.json in out before Finish: %v", err)
	}
	st := r.Stats()
	if got := st.Tables[observe.TableFlows]; got.Files != 2 || got.Rows != 2 || got.Bytes <= 0 {
		t.Errorf("flows stats = %+v", got)
	}
	if got := st.Tables[observe.TableEvents]; got.Files != 1 || got.Rows != 0 {
		t.Errorf("events stats = %+v", got)
	}
	if tot := st.Total(); tot.Files != 3 || tot.Rows != 2 {
		t.Errorf("total = %+v", tot)
	}
	if got := st.Names(); !reflect.DeepEqual(got, []string{"events", "flows"}) {
		t.Errorf("names = %v", got)
	}
	r.SetFinished(time.Unix(1700000060, 5).UTC())
	if err := r.Finish(); err != nil {
		t.Fatal(err)
	}
	assertOnly(t, filepath.Dir(out), "tmon-out")
	assertOnly(t, out, "events", "flows", ManifestName)
	assertOnly(t, filepath.Join(out, "flows"), "part-00000.parquet", "part-00001.parquet")
	if got := readFlows(t, out); !reflect.DeepEqual(got, testFlows) {
		t.Errorf("flows = %+v", got)
	}
	m, err := ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	want := testManifest()
	want.Tool, want.Mode = Application, ModeReplay
	want.Finished = time.Unix(1700000060, 5).UTC()
	want.Tables = st.Tables
	if !reflect.DeepEqual(m, want) {
		t.Errorf("manifest\n%+v\nwant\n%+v", m, want)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o755 {
		t.Errorf("out mode = %v, want 0755", fi.Mode().Perm())
	}

	// Done: further use is refused, Abort is a no-op.
	if _, err := Append(r, observe.TableFlows, testFlows); !errors.Is(err, ErrRunDone) {
		t.Errorf("Append after Commit: %v", err)
	}
	if err := r.Finish(); !errors.Is(err, ErrRunDone) {
		t.Errorf("second Finish: %v", err)
	}
	if err := r.Abort(); err != nil {
		t.Errorf("Abort after Commit: %v", err)
	}
	assertOnly(t, out, "events", "flows", ManifestName)
}

func testReplace(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "tmon-out")
	doRun(t, out, testFlows, "only_in_first")
	doRun(t, out, testFlows[1:])
	assertOnly(t, parent, "tmon-out")
	assertOnly(t, out, "events", "flows", ManifestName) // no only_in_first: runs never mix
	if got := readFlows(t, out); !reflect.DeepEqual(got, testFlows[1:]) {
		t.Errorf("flows after replace = %+v", got)
	}
	m, err := ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.Tables["flows"].Rows != 1 {
		t.Errorf("manifest flows rows = %d, want 1", m.Tables["flows"].Rows)
	}
}

func TestRunReplace(t *testing.T) { testReplace(t) }

func TestRunAbortKeepsPrevious(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "tmon-out")
	doRun(t, out, testFlows)
	r := abortedRun(t, out)
	assertOnly(t, parent, "tmon-out")
	if got := readFlows(t, out); !reflect.DeepEqual(got, testFlows) {
		t.Errorf("flows after abort = %+v", got)
	}
	if _, err := Append(r, observe.TableFlows, testFlows); !errors.Is(err, ErrRunDone) {
		t.Errorf("Append after Abort: %v", err)
	}
}

// TestRunAbortRemovesCreatedOut: a run that created its output folder and
// fails (a full disk, an interrupted merge) leaves nothing behind. The
// folder stayed, empty but for the lock file, which Abort removed only
// after trying the folder (the new user's walk of 2026-12-05).
func TestRunAbortRemovesCreatedOut(t *testing.T) {
	parent := t.TempDir()
	abortedRun(t, filepath.Join(parent, "tmon-out"))
	assertOnly(t, parent)
}

// abortedRun begins a run into out, appends a row and aborts it.
func abortedRun(t *testing.T, out string) *Run {
	t.Helper()
	r, err := BeginRun(out, testManifest())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Append(r, observe.TableFlows, testFlows[:1]); err != nil {
		t.Fatal(err)
	}
	if err := r.Abort(); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRunIntoEmptyDir(t *testing.T) {
	out := t.TempDir()
	doRun(t, out, testFlows)
	assertOnly(t, out, "events", "flows", ManifestName)
}

func TestRunRefusesForeignDir(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "photos")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "cat.jpg"), []byte("meow"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := BeginRun(out, testManifest())
	if !errors.Is(err, ErrNotRunDir) {
		t.Fatalf("err = %v, want ErrNotRunDir", err)
	}
	t.Log(err)
	assertOnly(t, parent, "photos") // no staging folder left
	assertOnly(t, out, "cat.jpg")
}

// TestRunRefusesForeignAtCommit: a user's file appears in out while the
// run is being written; Finish refuses and leaves it alone.
func TestRunRefusesForeignAtCommit(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "tmon-out")
	r, err := BeginRun(out, testManifest())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Append(r, observe.TableFlows, testFlows); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o644)
	if err := r.Finish(); !errors.Is(err, ErrNotRunDir) {
		t.Fatalf("Commit err = %v, want ErrNotRunDir", err)
	}
	if err := r.Abort(); err != nil {
		t.Fatal(err)
	}
	assertOnly(t, parent, "tmon-out")
	assertOnly(t, out, "notes.txt")
}

func TestRunUnwritable(t *testing.T) {
	parent := t.TempDir()
	file := filepath.Join(parent, "afile")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{
		"out is a file":    file,
		"parent is a file": filepath.Join(file, "out"),
		"root":             "/",
		"empty":            "",
	} {
		_, err := BeginRun(out, testManifest())
		if !errors.Is(err, ErrOutUnwritable) {
			t.Errorf("%s: err = %v, want ErrOutUnwritable", name, err)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	assertOnly(t, parent, "afile")
}

func TestRunParentNotWritable(t *testing.T) {
	if testenv.Unprivileged(t) {
		return // root ignores folder permissions: ran as nobody in a child process
	}
	parent := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(parent, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(parent, 0o755)
	_, err := BeginRun(filepath.Join(parent, "tmon-out"), testManifest())
	if !errors.Is(err, ErrOutUnwritable) {
		t.Fatalf("err = %v, want ErrOutUnwritable", err)
	}
}

// TestRunThroughSymlink: out is a symlink to a run folder; the run replaces
// the folder it points to and the link keeps working.
func TestRunThroughSymlink(t *testing.T) {
	parent := t.TempDir()
	real := filepath.Join(parent, "real-out")
	doRun(t, real, testFlows)
	link := filepath.Join(parent, "link")
	if err := os.Symlink(real, link); err != nil {
		testenv.Skip(t, err)
	}
	doRun(t, link, testFlows[:1])
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("link replaced: %v %v", fi, err)
	}
	if got := readFlows(t, link); !reflect.DeepEqual(got, testFlows[:1]) {
		t.Errorf("flows via link = %+v", got)
	}
	assertOnly(t, parent, "link", "real-out")
}

func TestAppendConcurrent(t *testing.T) {
	r := beginTestRun(t)
	const n = 8
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if _, err := Append(r, observe.TableFlows, testFlows); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("part-%05d.parquet", i))
	}
	assertOnly(t, filepath.Join(r.Dir(), "flows"), want...)
	if got := r.Stats().Tables["flows"]; got.Files != n || got.Rows != 2*n {
		t.Errorf("stats = %+v", got)
	}
}

// TestRunRefusesForeignFilesBesideManifest: a folder with a run.json that
// tmonbench did not write, or with files beside its tables, is never
// replaced (a user's project folder must not be wiped).
func TestRunRefusesForeignFilesBesideManifest(t *testing.T) {
	dir := t.TempDir()
	proj := filepath.Join(dir, "proj")
	os.MkdirAll(filepath.Join(proj, "src"), 0o755)
	os.WriteFile(filepath.Join(proj, ManifestName), []byte(`{"name":"x"}`), 0o644)
	os.WriteFile(filepath.Join(proj, "main.js"), []byte("code"), 0o644)
	if _, err := BeginRun(proj, testManifest()); !errors.Is(err, ErrNotRunDir) {
		t.Fatalf("foreign run.json: %v", err)
	}
	// A real run with a user's file added beside it.
	out := filepath.Join(dir, "out")
	r, err := BeginRun(out, testManifest())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Append(r, "flows", testFlows); err != nil {
		t.Fatal(err)
	}
	if err := r.Finish(); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(out, "mine.txt"), []byte("notes"), 0o644)
	if _, err := BeginRun(out, testManifest()); !errors.Is(err, ErrNotRunDir) || !strings.Contains(err.Error(), "mine.txt") {
		t.Fatalf("user file beside a run: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "mine.txt")); err != nil {
		t.Fatal(err)
	}
	// A replay's output is not appended to by a collector, and a
	// collector's output is not replaced by a replay.
	os.Remove(filepath.Join(out, "mine.txt"))
	if _, err := OpenAppend(out, testManifest()); !errors.Is(err, ErrOtherMode) {
		t.Fatalf("collector into a replay output: %v", err)
	}
	coll := filepath.Join(dir, "coll")
	if _, err := OpenAppend(coll, testManifest()); err != nil {
		t.Fatal(err)
	}
	if _, err := BeginRun(coll, testManifest()); !errors.Is(err, ErrOtherMode) {
		t.Fatalf("replay into a collector output: %v", err)
	}
}

// TestRunStagingLifecycle: a running run's staged run.json says running
// and counts what was committed; a killed run's staging folder (its
// process gone) is removed by the next run; Finish leaves no hidden
// folder behind.
func TestRunStagingLifecycle(t *testing.T) {
	out := filepath.Join(t.TempDir(), "tmon-out")
	doRun(t, out, testFlows)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip(err)
	}
	stale := filepath.Join(out, fmt.Sprintf("%s%d-123", StagingPrefix, dead.Process.Pid))
	os.MkdirAll(filepath.Join(stale, "flows"), 0o755)
	r, err := BeginRun(out, testManifest())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale staging folder kept: %v", err)
	}
	// The schema-only start (as pipeline and collector.Server do) does
	// not delay the first rows by PublishEvery: they are visible at the
	// next Commit; later rows wait for PublishEvery.
	if err := r.Write(&observe.Batch{}); err != nil {
		t.Fatal(err)
	}
	if err := r.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := r.Write(&observe.Batch{Flows: testFlows[:1]}); err != nil {
		t.Fatal(err)
	}
	if err := r.Commit(); err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(r.Dir())
	if err != nil || m.State != StateRunning || m.Tables["flows"].Rows != 1 {
		t.Errorf("staged manifest %+v, %v", m, err)
	}
	if err := r.Write(&observe.Batch{Flows: testFlows[:1]}); err != nil {
		t.Fatal(err)
	}
	if err := r.Commit(); err != nil {
		t.Fatal(err)
	}
	if m, err := ReadManifest(r.Dir()); err != nil || m.Tables["flows"].Rows != 1 {
		t.Errorf("published again within PublishEvery: %+v, %v", m, err)
	}
	if got := readFlows(t, out); !reflect.DeepEqual(got, testFlows) {
		t.Errorf("the previous run changed while the new one runs: %+v", got)
	}
	r.SetFinished(time.Unix(1700000100, 0).UTC())
	if err := r.Finish(); err != nil {
		t.Fatal(err)
	}
	names := []string{ManifestName}
	for _, tab := range observe.Tables {
		names = append(names, tab.Name)
	}
	slices.Sort(names)
	assertOnly(t, out, names...)
	if m, err := ReadManifest(out); err != nil || m.State != "" || m.PID != 0 || m.Tables["flows"].Rows != 2 {
		t.Errorf("final manifest %+v, %v", m, err)
	}
}

// TestCheckWritable: a folder whose files cannot be created (0555, as
// nobody: root ignores folder permissions) is ErrOutUnwritable naming it,
// and a writable one is left as it was.
func TestCheckWritable(t *testing.T) {
	if testenv.Unprivileged(t) {
		return // ran as nobody in a child process
	}
	ok := t.TempDir()
	if err := CheckWritable(ok); err != nil {
		t.Fatal(err)
	}
	assertOnly(t, ok)
	ro := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(ro, 0o755)
	err := CheckWritable(ro)
	if !errors.Is(err, ErrOutUnwritable) || !strings.Contains(err.Error(), ro+": cannot create files in it: permission denied") {
		t.Fatalf("err = %v, want ErrOutUnwritable naming %s", err, ro)
	}
}
