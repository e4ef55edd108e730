package journal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpen opens a journal whose only segment holds arbitrary bytes (seeded
// with real segments: whole, torn, with a record damaged), as a collector
// restarting after a crash or a disk fault finds it. Properties: no panic;
// Open fails with ErrCorrupt or an I/O error, or the journal replays some
// records and takes more: one appended and synced after Open is replayed
// after a reopen, last, with the next sequence number, and nothing before
// it changed (the torn-tail repair is stable).
func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	l, err := Open(dir)
	if err != nil {
		f.Fatal(err)
	}
	for i := range 6 {
		l.Append(byte('A'+i), bytes.Repeat([]byte{byte(i)}, 10*i))
	}
	l.Sync()
	l.Close()
	seg, err := os.ReadFile(filepath.Join(dir, segName(0)))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seg)
	f.Add(seg[:len(seg)-7])
	f.Add(seg[:len(seg)/2])
	bad := bytes.Clone(seg)
	bad[len(bad)/3] ^= 0x40
	f.Add(bad)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, segName(0)), b, 0o644); err != nil {
			t.Fatal(err)
		}
		l, err := Open(dir)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open: %v, not ErrCorrupt", err)
			}
			return
		}
		_, _, before := replay(t, l)
		next := l.Next()
		if seq, err := l.Append('Z', []byte("after")); err != nil || seq != next {
			t.Fatalf("append: seq %d (want %d), %v", seq, next, err)
		}
		if _, err := l.Sync(); err != nil {
			t.Fatal(err)
		}
		l.Close()
		l2, err := Open(dir)
		if err != nil {
			t.Fatalf("reopen after a repair and one record: %v", err)
		}
		defer l2.Close()
		_, _, after := replay(t, l2)
		want := append(before, rec{next, 'Z', "after"})
		if fmt.Sprint(after) != fmt.Sprint(want) {
			t.Fatalf("after reopen:\n got %v\nwant %v", after, want)
		}
	})
}
