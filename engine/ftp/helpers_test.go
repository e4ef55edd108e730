package ftp

import (
	"errors"
	"io"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testsamples"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/replay"
)

// samplesDir returns testdata/ at the module root (testsamples.Dir).
func samplesDir(tb testing.TB) string { return testsamples.Dir(tb) }

// result is what a capture gave: rows in emission order, the trace of
// parsed lines, and the Data verdict per frame.
type result struct {
	transfers []observe.FTPTransfer
	sessions  []observe.FTPSession
	trace     []traceEvent
	dataFTP   map[uint64]uint64 // frame -> session ID for packets Data took
	stats     Stats
	packets   int
}

// run replays one capture through a Tracker the way the probe will: TCP
// segments with port 21 on either side go to Control, every other TCP
// segment to Data; Expire runs every second of capture time, Flush at the
// end.
func run(tb testing.TB, path string, cfg Config) *result {
	tb.Helper()
	return runEvery(tb, path, cfg, 1e9)
}

// runEvery is run with Expire every expireNs of capture time (0: never,
// only Flush at the end).
func runEvery(tb testing.TB, path string, cfg Config, expireNs int64) *result {
	tb.Helper()
	f, err := replay.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	t := New(cfg)
	res := &result{dataFTP: map[uint64]uint64{}}
	t.trace = func(ev traceEvent) { res.trace = append(res.trace, ev) }
	emitT := func(r *observe.FTPTransfer) { res.transfers = append(res.transfers, *r) }
	emitS := func(r *observe.FTPSession) { res.sessions = append(res.sessions, *r) }
	dis := dissect.New()
	var d dissect.Dissection
	var next, last int64
	for {
		data, m, err := f.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		res.packets++
		last = m.TimeNs
		if expireNs > 0 {
			if next == 0 {
				next = m.TimeNs + expireNs
			}
			for m.TimeNs >= next {
				t.Expire(next, emitT, emitS)
				next += expireNs
			}
		}
		if dis.Dissect(data, m, &d) != nil || !d.Has(dissect.HasTCP) {
			continue
		}
		if d.SrcPort == 21 || d.DstPort == 21 {
			t.Control(&d)
		} else if id, ok := t.Data(&d); ok {
			res.dataFTP[m.Frame] = id
		}
	}
	t.Flush(last, emitT, emitS)
	res.stats = t.Stats()
	if t.Len() != 0 || len(t.peers) != 0 || t.channels != 0 {
		tb.Errorf("after Flush: %d sessions, %d peers, %d channels left", t.Len(), len(t.peers), t.channels)
	}
	for i, n := range t.filter {
		if n != 0 {
			tb.Errorf("after Flush: filter word %d = %#x", i, n)
			break
		}
	}
	for i, n := range t.slotCount {
		if n != 0 {
			tb.Errorf("after Flush: slot %d count %d", i, n)
			break
		}
	}
	return res
}

// commands returns the traced command verbs of a session, in order.
func (r *result) commands(session uint64) []string {
	var out []string
	for _, ev := range r.trace {
		if !ev.Reply && ev.Session == session {
			out = append(out, ev.Verb)
		}
	}
	return out
}

// replies returns the traced reply codes of a session, in order.
func (r *result) replies(session uint64) []int {
	var out []int
	for _, ev := range r.trace {
		if ev.Reply && ev.Session == session {
			out = append(out, ev.Code)
		}
	}
	return out
}

// xfer is the part of a transfer row the tests compare.
type xfer struct {
	Command, File, Direction, Mode, ModeCmd string
	Bytes                                   uint64
	Status                                  string
	Reply                                   uint16
	Src                                     string // data connection initiator addr:port
	Dst                                     string // responder addr:port
}

func short(r observe.FTPTransfer) xfer {
	return xfer{
		Command: r.Command, File: r.FileName, Direction: r.Direction, Mode: r.DataMode, ModeCmd: r.ModeCommand,
		Bytes: r.Bytes, Status: r.Status, Reply: r.ReplyCode,
		Src: hostport(r.DataSrcAddr, r.DataSrcPort), Dst: hostport(r.DataDstAddr, r.DataDstPort),
	}
}

func hostport(a string, p uint16) string {
	if a == "" && p == 0 {
		return ""
	}
	return joinHostPort(a, p)
}

func joinHostPort(a string, p uint16) string {
	var b [5]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + p%10)
		p /= 10
		if p == 0 {
			break
		}
	}
	return a + ":" + string(b[i:])
}

func checkTransfers(t *testing.T, got []observe.FTPTransfer, want []xfer) {
	t.Helper()
	if len(got) != len(want) {
		for _, g := range got {
			t.Logf("got %+v", short(g))
		}
		t.Fatalf("%d transfers, want %d", len(got), len(want))
	}
	for i := range want {
		if g := short(got[i]); g != want[i] {
			t.Errorf("transfer %d:\n got  %+v\n want %+v", i, g, want[i])
		}
	}
}
