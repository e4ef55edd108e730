package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/testdb"
	"github.com/tmonbench/tmonbench/queries"
	"github.com/tmonbench/tmonbench/tui"
)

// TestLiveFeedFlows: the TUI's live feed passes the engines' busiest
// flows of a snapshot through field by field, those of the last closed
// interval and those of the interval in progress.
func TestLiveFeedFlows(t *testing.T) {
	var l observe.Latest
	f := &liveFeed{snap: &l}
	if s := f.Status(); len(s.Flows) != 0 {
		t.Fatalf("flows before any snapshot: %v", s.Flows)
	}
	in := observe.IntervalFlow{Probe: "A", Interface: "if0", Class: "all", FlowID: 7, IntervalStart: 1e18, IntervalS: 10,
		CoveredStart: 1e18 + 3e9, CoveredS: 7, IPVersion: 4, Protocol: 6, SrcAddr: "10.0.0.1", DstAddr: "10.0.0.2", SrcPort: 40000, DstPort: 21, Packets: 3, Bytes: 180}
	now := in // the interval in progress (Snapshot.Current): counters so far
	now.FlowID, now.IntervalStart, now.CoveredStart, now.CoveredS, now.Packets, now.Bytes = 9, 1e18+10e9, 1e18+10e9, 2.5, 5, 900
	l.Publish(&observe.Snapshot{State: "capturing", Flows: []observe.IntervalFlow{in}, Current: []observe.IntervalFlow{now}})
	st := f.Status()
	want := tui.LiveFlow{Probe: "A", Iface: "if0", Class: "all", FlowID: 7, IntervalStartNs: 1e18, IntervalS: 10,
		CoveredStartNs: 1e18 + 3e9, CoveredS: 7, Protocol: 6, SrcAddr: "10.0.0.1", DstAddr: "10.0.0.2", SrcPort: 40000, DstPort: 21, Packets: 3, Bytes: 180}
	if got := st.Flows; len(got) != 1 || got[0] != want {
		t.Fatalf("flows %+v, want %+v", got, want)
	}
	want.FlowID, want.IntervalStartNs, want.CoveredStartNs, want.CoveredS, want.Packets, want.Bytes = 9, 1e18+10e9, 1e18+10e9, 2.5, 5, 900
	if got := st.Current; len(got) != 1 || got[0] != want {
		t.Fatalf("current flows %+v, want %+v", got, want)
	}
}

// TestLiveFeedTime: the TUI's rates are taken over the snapshots' own
// times, so polling one snapshot twice gives no new rate (it gave 0 then
// twice the rate: a strip of █ █ █ during a steady transfer).
func TestLiveFeedTime(t *testing.T) {
	var l observe.Latest
	f := &liveFeed{snap: &l}
	l.Publish(&observe.Snapshot{WallNs: 5e18, Inputs: []observe.InputCounters{{Probe: "A", Interface: "if0", Packets: 2047}}})
	if a, b := f.Status(), f.Status(); a.TimeNs != 5e18 || b.TimeNs != 5e18 {
		t.Errorf("times %d, %d: want the snapshot's 5e18", a.TimeNs, b.TimeNs)
	}
}

// nopTTY is a terminal stand-in for screenOf.
type nopTTY struct {
	bytes.Buffer
	closed bool
}

func (n *nopTTY) Close() error { n.closed = true; return nil }

// TestScreenOf: the TUI draws on standard output when it is not a file
// (tests) or is a terminal; on a redirection or a pipe it draws on the
// terminal instead ("live --tui > log" wrote the screen into the log),
// and says so in one line when there is none.
func TestScreenOf(t *testing.T) {
	var buf bytes.Buffer
	if w, done, err := screenOf(&buf, "--tui", nil); err != nil || w != &buf {
		t.Fatalf("a buffer: %v %v", w, err)
	} else {
		done()
	}
	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer pw.Close()
	tty := &nopTTY{}
	w, done, err := screenOf(pw, "--tui", func() (io.WriteCloser, error) { return tty, nil })
	if err != nil || w != tty {
		t.Fatalf("a pipe: drew on %T, %v; want the terminal", w, err)
	}
	done()
	if !tty.closed {
		t.Error("the terminal was not closed after the TUI")
	}
	_, _, err = screenOf(pw, "--tui", func() (io.WriteCloser, error) { return nil, errors.New("no such device or address") })
	if err == nil || !strings.HasPrefix(err.Error(), "--tui: standard output is not a terminal and there is none to draw on") {
		t.Errorf("no terminal: %v", err)
	}
}

// TestTUINoTerminal: tmonbench tui without a terminal named a --tui flag
// it does not have ("tmonbench tui: --tui: standard output is not a
// terminal"); replay --tui keeps the flag's name.
func TestTUINoTerminal(t *testing.T) {
	out := t.TempDir()
	if err := os.WriteFile(filepath.Join(out, queries.ManifestName), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer pw.Close()
	old := openTTY
	openTTY = func() (io.WriteCloser, error) { return nil, errors.New("no such device or address") }
	defer func() { openTTY = old }()
	var errb strings.Builder
	code := run([]string{"tui", "--out", out}, pw, &errb)
	want := "tmonbench tui: standard output is not a terminal and there is none to draw on: no such device or address\n"
	if code != 1 || errb.String() != want {
		t.Errorf("status %d, stderr %q; want 1, %q", code, errb.String(), want)
	}
}

// TestSayCapturing: live --tui says "capturing on" only where the TUI
// does not draw: on a log (stdout redirected, the TUI on /dev/tty) it
// does, on the TUI's own terminal (a pseudo-terminal here) it does not;
// there the line showed once the TUI had closed, as if the capture were
// starting then (found by the new-user trial). Without --tui it always
// does.
func TestSayCapturing(t *testing.T) {
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer pts.Close()
	go io.Copy(io.Discard, ptmx) // what the terminal shows
	var log bytes.Buffer
	for _, c := range []struct {
		out    io.Writer
		withUI bool
		want   bool
	}{{&log, true, true}, {pts, true, false}, {pts, false, true}, {&log, false, true}} {
		if got := sayCapturing(c.out, c.withUI, "n", []string{"lo"}); got != c.want {
			t.Errorf("%T, --tui %v: said %v, want %v", c.out, c.withUI, got, c.want)
		}
	}
	if want := "tmonbench live n: capturing on lo (SIGINT or SIGTERM stops)\n"; !strings.HasPrefix(log.String(), want) {
		t.Errorf("log %q", log.String())
	}
}

// TestLiveTUIEmptyNotes: the TUI of replay --tui and live --tui said
// "(no rows)" alone on an empty table (no Options.Empty), where tmonbench
// tui and query say why. Its options now carry the reasons of the output
// it watches: over a replay of zeek_ntp.pcap with the default
// configuration (no class runs the oneway analysis), oneway_delays' is the
// one query prints.
func TestLiveTUIEmptyNotes(t *testing.T) {
	out := filepath.Join(t.TempDir(), "o")
	if code, _, stderr := tmon(t, "replay", "-q", "--out", out, filepath.Join("..", "..", "samples", "zeek_ntp.pcap")); code != 0 {
		t.Fatal(stderr)
	}
	opts := liveOptions(out, config.Default(), &liveFeed{}, nil)
	if opts.Empty == nil {
		t.Fatal("no Options.Empty: empty tables say (no rows) alone")
	}
	db := testdb.Open(t, out)
	want := "no class of the configuration that wrote " + out + " runs the oneway analysis (add \"oneway\" to a class's analyses)"
	if got := opts.Empty(db).For("oneway_delays"); got != want {
		t.Errorf("oneway_delays: %q, want %q", got, want)
	}
}
