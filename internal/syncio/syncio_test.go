package syncio

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

// TestWriter: the zero Writer holds every write whole (goroutines writing
// at once), FlushTo passes them on and forgets them; NewWriter passes each
// write on.
func TestWriter(t *testing.T) {
	var held Writer
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				held.Write([]byte("line\n"))
			}
		}()
	}
	wg.Wait()
	if got := held.String(); got != strings.Repeat("line\n", 400) {
		t.Fatalf("held %d bytes, want 400 whole lines", len(got))
	}
	var out bytes.Buffer
	held.FlushTo(&out)
	if out.Len() != 2000 || held.String() != "" {
		t.Fatalf("flushed %d bytes, still holds %q", out.Len(), held.String())
	}
	var to bytes.Buffer
	w := NewWriter(&to)
	w.Write([]byte("x"))
	if to.String() != "x" || w.String() != "" {
		t.Fatalf("passed on %q, held %q", to.String(), w.String())
	}
}
