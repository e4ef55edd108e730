package replay

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// TestNextIntoSameAsNext: File.NextInto and Merged.NextInto (the read
// loop's path, pkt.MetaSource) give call for call what Next gives: the
// same bytes, Meta, error text and Last, a Meta left with garbage before
// the call overwritten (the zero Meta with an error), through the error
// of a damaged capture and io.EOF after it. Captures: http-fault-post
// (classic pcap cut short in packet 26, TestMergeOne), a pcapng of three
// sections with different timestamp resolutions (edge 17), and Merge of
// the two (the general path).
func TestNextIntoSameAsNext(t *testing.T) {
	paths := []string{
		filepath.Join(samplesDir(t), "pcap", "malformed", "chrissanders_ppa1e_http-fault-post.pcap"),
		filepath.Join(samplesDir(t), "edge", "17-pcapng-sections-tsresol", "input.pcapng"),
	}
	open := func(ps ...string) []pkt.Source {
		var srcs []pkt.Source
		for _, p := range ps {
			f, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			srcs = append(srcs, f)
		}
		return srcs
	}
	type step struct {
		data []byte
		m    pkt.Meta
		err  string
		last int
	}
	run := func(src pkt.Source, last func() int, into bool) []step {
		var steps []step
		for eofs := 0; eofs < 2; {
			s := step{m: pkt.Meta{TimeNs: 99, Frame: 99, Iface: 9, CapLen: 99}} // garbage
			var data []byte
			var err error
			if into {
				data, err = src.(pkt.MetaSource).NextInto(&s.m)
			} else {
				data, s.m, err = src.Next()
			}
			s.data, s.err, s.last = bytes.Clone(data), fmt.Sprint(err), last()
			if err != nil && s.m != (pkt.Meta{}) {
				t.Fatalf("into %v: error %v with Meta %+v", into, err, s.m)
			}
			if err != nil {
				eofs++
			}
			steps = append(steps, s)
		}
		return steps
	}
	for _, ps := range [][]string{paths[:1], paths[1:], paths} {
		for _, merged := range []bool{false, true} {
			if !merged && len(ps) > 1 {
				continue
			}
			var res [2][]step
			for i, into := range []bool{false, true} {
				srcs := open(ps...)
				if merged {
					g := Merge(srcs...)
					res[i] = run(g, g.Last, into)
				} else {
					res[i] = run(srcs[0], func() int { return 0 }, into)
				}
			}
			if len(res[0]) < 3 || len(res[0]) != len(res[1]) {
				t.Fatalf("%v merged %v: %d and %d calls", ps, merged, len(res[0]), len(res[1]))
			}
			for j := range res[0] {
				a, b := res[0][j], res[1][j]
				if !bytes.Equal(a.data, b.data) || a.m != b.m || a.err != b.err || a.last != b.last {
					t.Fatalf("%v merged %v call %d: Next %+v %s %d, NextInto %+v %s %d", ps, merged, j, a.m, a.err, a.last, b.m, b.err, b.last)
				}
			}
		}
	}
}
