package journal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

type rec struct {
	seq  uint64
	kind byte
	body string
}

func replay(t testing.TB, l *Log) (state string, at uint64, recs []rec) {
	t.Helper()
	err := l.Replay(func(s []byte, a uint64) error { state, at = string(s), a; return nil },
		func(seq uint64, kind byte, body []byte) error {
			recs = append(recs, rec{seq, kind, string(body)})
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	return state, at, recs
}

// TestAppendSyncReopen: records synced survive a reopen in order; records
// appended but never synced do not exist.
func TestAppendSyncReopen(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if seq, err := l.Append('F', []byte(fmt.Sprint("frame ", i))); err != nil || seq != uint64(i) {
			t.Fatalf("append %d: seq %d, %v", i, seq, err)
		}
	}
	if d, err := l.Sync(); err != nil || d != 10 {
		t.Fatalf("sync: %d %v", d, err)
	}
	l.Append('F', []byte("lost"))
	// no Sync, no Close: a crash
	l2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, _, recs := replay(t, l2)
	if len(recs) != 10 || recs[9] != (rec{9, 'F', "frame 9"}) || l2.Next() != 10 {
		t.Fatalf("after reopen: %v, next %d", recs, l2.Next())
	}
}

// TestTornTail: a record cut by a crash at the end of the last segment is
// dropped and the journal goes on after the last good record; a damaged
// record in the middle is corruption.
func TestTornTail(t *testing.T) {
	dir := t.TempDir()
	l, _ := Open(dir)
	for i := range 5 {
		l.Append('F', bytes.Repeat([]byte{byte(i)}, 100))
	}
	l.Sync()
	l.Close()
	seg := filepath.Join(dir, segName(0))
	b, _ := os.ReadFile(seg)
	os.WriteFile(seg, b[:len(b)-30], 0o644) // the last record torn
	l2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, recs := replay(t, l2); len(recs) != 4 || l2.Next() != 4 {
		t.Fatalf("torn tail: %d records, next %d", len(recs), l2.Next())
	}
	l2.Append('G', []byte("after"))
	l2.Sync()
	l2.Close()
	l3, _ := Open(dir)
	if _, _, recs := replay(t, l3); len(recs) != 5 || recs[4] != (rec{4, 'G', "after"}) {
		t.Fatalf("after the torn tail: %v", recs)
	}
	l3.Close()
	// damage a record of a segment that is not the last
	b, _ = os.ReadFile(seg)
	b[20] ^= 0xff
	os.WriteFile(seg, b, 0o644)
	if _, err := Open(dir); !errors.Is(err, ErrCorrupt) && err == nil {
		t.Fatalf("damaged middle record: %v", err)
	}
}

// TestCheckpointBoundsTheFolder: a checkpoint removes the segments it
// covers and the previous checkpoint; replay gives the state and the
// records after it only.
func TestCheckpointBoundsTheFolder(t *testing.T) {
	dir := t.TempDir()
	l, _ := Open(dir)
	body := bytes.Repeat([]byte("x"), 1000)
	for round := range 5 {
		for range 100 {
			l.Append('F', body)
		}
		l.Sync()
		at := l.Next()
		l.Append('F', []byte("after checkpoint")) // appended before the checkpoint is written: kept
		if err := l.Checkpoint(at, []byte(fmt.Sprint("state ", round))); err != nil {
			t.Fatal(err)
		}
		if l.Written() > 100 {
			t.Fatalf("written %d after a checkpoint", l.Written())
		}
	}
	l.Append('F', []byte("last"))
	l.Close()
	ents, _ := os.ReadDir(dir)
	var size int64
	for _, e := range ents {
		fi, _ := e.Info()
		size += fi.Size()
	}
	if len(ents) > 3 || size > 110_000 { // the checkpoint and the segment holding record at (one round)
		t.Fatalf("%d files, %d bytes after checkpoints: %v", len(ents), size, ents)
	}
	l2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	state, at, recs := replay(t, l2)
	if state != "state 4" || at != 5*101-1 || len(recs) != 2 || recs[0].body != "after checkpoint" || recs[1].body != "last" {
		t.Fatalf("state %q at %d, records %v", state, at, recs)
	}
}

// failFS fails every write once armed (a full disk).
type failFS struct {
	OSFS
	armed bool
}

type failFile struct {
	*os.File
	fs *failFS
}

func (f *failFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	file, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return failFile{file, f}, nil
}

func (f failFile) Write(b []byte) (int, error) {
	if f.fs.armed {
		return 0, errors.New("no space left on device")
	}
	return f.File.Write(b)
}

// TestWriteFailureIsSticky: after a failed write the journal refuses
// every append and sync (nothing more can be acknowledged) and keeps what
// was durable before.
func TestWriteFailureIsSticky(t *testing.T) {
	dir := t.TempDir()
	fs := &failFS{}
	l, err := OpenFS(dir, fs)
	if err != nil {
		t.Fatal(err)
	}
	l.Append('F', []byte("a"))
	l.Sync()
	fs.armed = true
	l.Append('F', []byte("b"))
	if d, err := l.Sync(); !errors.Is(err, ErrFailed) || d != 1 {
		t.Fatalf("sync on a full disk: durable %d, %v", d, err)
	}
	if _, err := l.Append('F', []byte("c")); !errors.Is(err, ErrFailed) {
		t.Fatalf("append after a failure: %v", err)
	}
	if l.Err() == nil || l.Durable() != 1 {
		t.Fatal("failure not kept")
	}
	fs.armed = false
	l2, _ := Open(dir)
	if _, _, recs := replay(t, l2); len(recs) != 1 {
		t.Fatalf("%d records after the failure", len(recs))
	}
}
