package filter

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// capture is a capture of the equivalence tables: its frames and where
// they come from.
type capture struct {
	path   string
	name   string // file name, for messages
	frames []frame
}

// byLinkType loads the captures at paths and groups them by link type, in
// the order of paths: a filter's verdict on a frame depends on its bytes,
// its wire length and its link type only, so the frames of a group can be
// given to tcpdump in one file (mergeCaptures).
func byLinkType(t *testing.T, paths []string) [][]capture {
	t.Helper()
	var groups [][]capture
	at := map[pkt.LinkType]int{}
	for _, p := range paths {
		frames := loadFrames(t, p)
		if len(frames) == 0 {
			t.Fatalf("%s: no frames", p)
		}
		lt := frames[0].d.Meta.LinkType
		i, ok := at[lt]
		if !ok {
			i = len(groups)
			at[lt] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], capture{path: p, name: filepath.Base(p), frames: frames})
	}
	return groups
}

// mergeCaptures writes the frames of caps, which share one link type, to
// one pcap file in dir (their captured bytes and wire lengths as read, in
// order) and returns its path, the frames renumbered 1.. in that order,
// and where each came from (origin[n-1] for frame n, "file#frame"). A
// group of one capture is given as is: its own file and frame numbers. tcpdump then runs
// once a filter for every capture of the group instead of once a filter
// and capture (TestTcpdumpEquivalence ran 2,900 tcpdump processes, about
// 60 s of the 2-core CI machine, for 3,600 frames of 26 small files);
// the frames it selects are the same (BPF programs keep no state from one
// packet to the next).
func mergeCaptures(t *testing.T, dir string, caps []capture) (path string, frames []frame, origin []string) {
	t.Helper()
	if len(caps) == 1 { // the file itself
		for _, fr := range caps[0].frames {
			origin = append(origin, fmt.Sprintf("%s#%d", caps[0].name, fr.num))
		}
		return caps[0].path, caps[0].frames, origin
	}
	lt := caps[0].frames[0].d.Meta.LinkType
	b := binary.LittleEndian.AppendUint32(nil, 0xa1b2c3d4) // pcap, microseconds
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, 4)
	b = binary.LittleEndian.AppendUint32(b, 0) // thiszone
	b = binary.LittleEndian.AppendUint32(b, 0) // sigfigs
	b = binary.LittleEndian.AppendUint32(b, 262144)
	b = binary.LittleEndian.AppendUint32(b, uint32(lt))
	for _, c := range caps {
		for _, fr := range c.frames {
			m := fr.d.Meta
			if m.LinkType != lt {
				t.Fatalf("%s frame %d: link type %s in a group of %s", c.name, fr.num, m.LinkType, lt)
			}
			if len(fr.data) > 262144 {
				t.Fatalf("%s frame %d: %d bytes, above the merged file's snapshot length", c.name, fr.num, len(fr.data))
			}
			b = binary.LittleEndian.AppendUint32(b, uint32(m.TimeNs/1e9))
			b = binary.LittleEndian.AppendUint32(b, uint32(m.TimeNs%1e9/1e3))
			b = binary.LittleEndian.AppendUint32(b, uint32(len(fr.data)))
			b = binary.LittleEndian.AppendUint32(b, m.WireLen)
			b = append(b, fr.data...)
			origin = append(origin, fmt.Sprintf("%s#%d", c.name, fr.num))
			fr.num = uint64(len(frames) + 1) // origin[fr.num-1]
			frames = append(frames, fr)
		}
	}
	path = filepath.Join(dir, fmt.Sprintf("merged-%s.pcap", lt))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, frames, origin
}

// groupName names a group of captures for its subtest.
func groupName(caps []capture) string {
	if len(caps) == 1 {
		return caps[0].name
	}
	return fmt.Sprintf("%s_%d_captures", caps[0].frames[0].d.Meta.LinkType, len(caps))
}

// frameNames are the frames numbered ns, named by origin (by number
// without it).
func frameNames(origin []string, ns []uint64) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		if origin == nil {
			out[i] = fmt.Sprint(n)
		} else {
			out[i] = origin[n-1]
		}
	}
	return out
}
