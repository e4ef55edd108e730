package queries

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestOpenReadsFoldersOnce: Open reads each folder of an output once (the
// output's, each table's and each partition's, counted through readDir):
// lab/ftp's A.pcap replayed, whose tables lie in date=…/probe=… folders.
// It read each table's partition folders three times: its parts (whether
// it has any), their depths for the view's glob, and the depths again
// with the partition keys for the Hive options; the views and their rows
// are the same (TestViews, the named queries' goldens).
func TestOpenReadsFoldersOnce(t *testing.T) {
	out := testout.Replay(t, testsamples.Path(t, "lab", "ftp", "A.pcap"))
	var mu sync.Mutex
	reads := map[string]int{}
	readDir = func(p string) ([]os.DirEntry, error) {
		mu.Lock()
		reads[p]++
		mu.Unlock()
		return os.ReadDir(p)
	}
	t.Cleanup(func() { readDir = os.ReadDir })
	db, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	partitions := 0
	for p, n := range reads {
		if n != 1 {
			t.Errorf("%s read %d times, want once", p, n)
		}
		if strings.Contains(filepath.Base(p), "=") {
			partitions++
		}
	}
	if partitions == 0 {
		t.Fatalf("no partition folder read: %v", reads)
	}
}
