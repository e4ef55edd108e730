package queries

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/store"
)

// TestStateFinishing: while a replay ends (store.Run.Finish) it moves the
// previous run's tables and run.json into .tmon-old-<pid>-XXXX before
// moving its own in place, so for a moment the output folder holds no
// run: a query then said "no tmonbench output" (a trial saw it once while
// another replay into the folder was ending). State says Finishing while
// such a folder of a live process is there, and Open reads again; a folder
// left by a process that is gone is not a run finishing.
func TestStateFinishing(t *testing.T) {
	out := makeOut(t, t.TempDir(), "out")
	old := filepath.Join(out, fmt.Sprintf("%s%d-x", oldPrefix, os.Getpid()))
	if err := os.Mkdir(old, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(out)
	for _, e := range ents {
		if e.Name() != filepath.Base(old) {
			if err := os.Rename(filepath.Join(out, e.Name()), filepath.Join(old, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	if st := State(out); !st.Finishing || st.Running {
		t.Errorf("mid-finish: %+v, want Finishing", st)
	}
	// Open reads again once the tables are in place (here: moved back
	// during its first pause), instead of saying "no tmonbench output"
	defer func(w func()) { retryWait = w }(retryWait)
	retryWait = func() {
		moved, _ := os.ReadDir(old)
		for _, e := range moved {
			os.Rename(filepath.Join(old, e.Name()), filepath.Join(out, e.Name()))
		}
	}
	db, err := Open(out)
	if err != nil {
		t.Fatalf("Open mid-finish: %v", err)
	}
	db.Close()
	moved, _ := os.ReadDir(out)
	for _, e := range moved {
		if e.Name() != filepath.Base(old) {
			os.Rename(filepath.Join(out, e.Name()), filepath.Join(old, e.Name()))
		}
	}
	gone := filepath.Join(out, oldPrefix+"999999999-y") // no such process
	if err := os.Rename(old, gone); err != nil {
		t.Fatal(err)
	}
	if st := State(out); st.Finishing {
		t.Errorf("folder of a process gone: %+v, want not Finishing", st)
	}
	if folderPID(".tmon-run-123-abc") != 123 || folderPID(".tmon-old-45-x") != 45 || folderPID(".tmon-old-x") != 0 {
		t.Error("folderPID")
	}
}

// TestPrefixesAreStores: the hidden folder names queries looks for are the
// ones engine/store writes (repeated here: queries imports no engine
// package but observe).
func TestPrefixesAreStores(t *testing.T) {
	if stagingPrefix != store.StagingPrefix || oldPrefix != store.OldPrefix {
		t.Errorf("queries %q %q, store %q %q", stagingPrefix, oldPrefix, store.StagingPrefix, store.OldPrefix)
	}
}

// TestStateResumed: a running output's State gives when its writing
// process started: run.json's resumed (a collector restarted on its
// output) before its started (the output's first start).
func TestStateResumed(t *testing.T) {
	out := t.TempDir()
	write := func(js string) {
		if err := os.WriteFile(filepath.Join(out, ManifestName), []byte(js), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(fmt.Sprintf(`{"mode": "collector", "state": "running", "pid": %d, "started": "2026-12-06T13:41:24Z"}`, os.Getpid()))
	if st := State(out); !st.Running || st.Started.Format(time.RFC3339) != "2026-12-06T13:41:24Z" {
		t.Errorf("first run: %+v, want running since 13:41:24", st)
	}
	write(fmt.Sprintf(`{"mode": "collector", "state": "running", "pid": %d, "started": "2026-12-06T13:41:24Z", "resumed": "2026-12-06T13:41:32Z"}`, os.Getpid()))
	if st := State(out); !st.Running || st.Started.Format(time.RFC3339) != "2026-12-06T13:41:32Z" {
		t.Errorf("restarted: %+v, want running since 13:41:32 (resumed)", st)
	}
}
