package main

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/live"
)

// heldChanges is a link watcher whose changes are held until release.
type heldChanges struct {
	held, given []live.LinkChange
}

func (h *heldChanges) Changes(dst []live.LinkChange) ([]live.LinkChange, uint64) {
	dst = append(dst, h.given...)
	h.given = nil
	return dst, 0
}

func (h *heldChanges) Holding(i int) bool {
	return slices.ContainsFunc(h.held, func(c live.LinkChange) bool { return c.Iface == i })
}

func (h *heldChanges) Close() error { return nil }

func (h *heldChanges) release() { h.given, h.held = append(h.given, h.held...), nil }

// links is an interface reading: the state of each interface now.
type links struct {
	now     []live.Link
	stopped bool
}

func (l *links) Links() []live.Link { return slices.Clone(l.now) }
func (l *links) Stop()              { l.stopped = true }

// TestLinkReadingBehindHeld: a reading of the interfaces (once a second)
// that comes while the watcher still holds changes of an interface is
// ahead of them. Renamed a3a to a3y then a3z 100 ms apart, a reading in
// between said "a3a was renamed a3z", and the held changes then "a3z was
// renamed a3y" (it was not) and "a3y was renamed a3z" (2 runs in 14 of
// `ip link set` in a network namespace). Moved to another namespace (down,
// then gone 16 ms later), a reading between the two said it down before
// the gone the hold is there to say alone.
func TestLinkReadingBehindHeld(t *testing.T) {
	var got []string
	event := func(sev uint8, kind, msg string, n uint64) { got = append(got, kind+": "+msg) }
	w := linkWatch{cmd: "live", names: []string{"a3a"}, mtus: []int{1500}, snap: 262144,
		start: []live.LinkState{live.LinkUp}, stderr: io.Discard}
	hc := &heldChanges{}
	w.watch = hc
	src := &links{now: []live.Link{{State: live.LinkUp, Name: "a3z", MTU: 1500}}}
	hc.held = []live.LinkChange{{Iface: 0, Link: live.Link{State: live.LinkUp, Name: "a3y", MTU: 1500}},
		{Iface: 0, Link: live.Link{State: live.LinkUp, Name: "a3z", MTU: 1500}}}
	w.check(2e9, src, event) // a reading, the renames held
	hc.release()
	w.check(2.3e9, src, event)
	want := []string{
		"capture_interface_renamed: a3a was renamed a3y: it is still captured, as a3y",
		"capture_interface_renamed: a3y was renamed a3z: it is still captured, as a3z",
	}
	if !slices.Equal(got, want) {
		t.Errorf("renamed twice: events %q, want %q", got, want)
	}

	got = nil
	src.now = []live.Link{{State: live.LinkDown, Name: "a3z", MTU: 1500}}
	hc.held = []live.LinkChange{{Iface: 0, Link: live.Link{State: live.LinkDown, Name: "a3z", MTU: 1500}}}
	// a reading between the down and the gone, then the gone (it takes
	// back its down)
	w.check(4e9, src, event)
	hc.held = []live.LinkChange{{Iface: 0, Link: live.Link{State: live.LinkGone}}}
	src.now = []live.Link{{State: live.LinkGone}}
	hc.release()
	w.check(4.3e9, src, event)
	if len(got) != 1 || !strings.HasPrefix(got[0], "capture_interface_gone: ") || !src.stopped {
		t.Errorf("moved to another namespace: events %q (capture stopped: %v), want the gone alone and the capture stopped", got, src.stopped)
	}
}
