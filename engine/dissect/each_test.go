package dissect_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/replay"
)

// dissectEach dissects every frame of the capture at path with one
// Dissector, handing check each frame's index, Meta, Dissect's error and
// dissection, and fails the test unless the file holds n frames. It
// returns the Dissector, for its Stats.
func dissectEach(t *testing.T, path string, n int, check func(i int, m pkt.Meta, err error, x *dissect.Dissection)) *dissect.Dissector {
	t.Helper()
	src, err := replay.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	d := dissect.New()
	var x dissect.Dissection
	for i := 0; ; i++ {
		data, m, err := src.Next()
		if errors.Is(err, io.EOF) {
			if i != n {
				t.Fatalf("%d frames, want %d", i, n)
			}
			return d
		}
		if err != nil {
			t.Fatal(err)
		}
		if i >= n {
			t.Fatalf("more than %d frames", n)
		}
		check(i, m, d.Dissect(data, m, &x), &x)
	}
}

// kindsOf is a Dissector's kinds of damage as "kind=n ..." (Stats.EachKind's order).
func kindsOf(d *dissect.Dissector) string {
	var kinds []string
	d.Stats.EachKind(func(k dissect.Kind, n uint64) { kinds = append(kinds, fmt.Sprintf("%s=%d", k, n)) })
	return strings.Join(kinds, " ")
}
