package probe_test

import (
	"io"
	"testing"

	"github.com/tmonbench/tmonbench/engine/filter"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/internal/testframes"
)

// frameSource is a pkt.Source over frames in memory.
type frameSource struct {
	frames [][]byte
	metas  []pkt.Meta
	i      int
	closed bool
}

func (s *frameSource) Next() ([]byte, pkt.Meta, error) {
	if s.i >= len(s.frames) {
		return nil, pkt.Meta{}, io.EOF
	}
	s.i++
	return s.frames[s.i-1], s.metas[s.i-1], nil
}

func (s *frameSource) Close() error { s.closed = true; return nil }

// TestFiltered: the user-space --filter passes what tcpdump's expression
// passes (tcpdump -r testdata/pcap/mixed/zeek_wikipedia.pcap 'tcp port 80'
// | wc -l: 78 of 136 packets), counts the 58 others, ends with the
// source's io.EOF and closes it.
func TestFiltered(t *testing.T) {
	frames, metas := testframes.Frames(t, "pcap/mixed/zeek_wikipedia.pcap")
	e, err := filter.Parse("tcp port 80")
	if err != nil {
		t.Fatal(err)
	}
	src := &frameSource{frames: frames, metas: metas}
	f := probe.NewFiltered(src, e)
	n := 0
	for {
		_, _, err := f.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if len(frames) != 136 || n != 78 || f.Dropped() != 58 {
		t.Errorf("%d packets: %d passed, %d dropped; want 136: 78 and 58", len(frames), n, f.Dropped())
	}
	if f.Close(); !src.closed {
		t.Error("Close did not close the source")
	}
}

// aheadSource is a frameSource that reads ahead (pkt.ReadAheader),
// counting its starts and stops.
type aheadSource struct {
	frameSource
	started, stopped int
}

func (s *aheadSource) ReadAhead() func() {
	s.started++
	return func() { s.stopped++ }
}

// TestFilteredReadAhead: a Filtered source reads ahead when the source
// it wraps can (replay.File under `replay --filter`: the pipeline's
// read-ahead then reads the file in chunks, not in batches of packets),
// and says it cannot (nil) otherwise.
func TestFilteredReadAhead(t *testing.T) {
	e, err := filter.Parse("tcp")
	if err != nil {
		t.Fatal(err)
	}
	src := &aheadSource{}
	stop := probe.NewFiltered(src, e).ReadAhead()
	if stop == nil || src.started != 1 {
		t.Fatalf("not read ahead: stop %v, %d starts", stop != nil, src.started)
	}
	stop()
	if src.stopped != 1 {
		t.Errorf("%d stops, want 1", src.stopped)
	}
	if probe.NewFiltered(&frameSource{}, e).ReadAhead() != nil {
		t.Error("a source that cannot read ahead: stop not nil")
	}
}

// TestFilteredARP: --filter sees ARP frames as tcpdump does (the report of
// a new user: `--filter arp` passed 0 packets of the README's sample).
// Counts are `tcpdump -r F EXPR | wc -l`: zeek_wikipedia.pcap (Ethernet,
// 136 packets, 6 ARP requests) and zeek_linuxsll-arp.pcap (Linux cooked,
// 12 ARP requests).
func TestFilteredARP(t *testing.T) {
	for _, c := range []struct {
		file, expr string
		want       int
	}{
		{"pcap/mixed/zeek_wikipedia.pcap", "arp", 6},
		{"pcap/mixed/zeek_wikipedia.pcap", "not arp", 130},
		{"pcap/mixed/zeek_wikipedia.pcap", "arp src 141.142.220.1", 4},
		{"pcap/mixed/zeek_wikipedia.pcap", "host 141.142.220.1", 5},
		{"pcap/linux-sll/zeek_linuxsll-arp.pcap", "arp", 12},
		{"pcap/linux-sll/zeek_linuxsll-arp.pcap", "not arp", 0},
		{"pcap/linux-sll/zeek_linuxsll-arp.pcap", "arp dst host 10.1.10.1", 9},
	} {
		frames, metas := testframes.Frames(t, c.file)
		e, err := filter.Parse(c.expr)
		if err != nil {
			t.Fatal(err)
		}
		f := probe.NewFiltered(&frameSource{frames: frames, metas: metas}, e)
		n := 0
		for {
			if _, _, err := f.Next(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != c.want || uint64(n)+f.Dropped() != uint64(len(frames)) {
			t.Errorf("%s %q: %d passed, %d dropped of %d; tcpdump passes %d", c.file, c.expr, n, f.Dropped(), len(frames), c.want)
		}
	}
}
