//go:build linux

package live_test

import (
	"errors"
	"net/netip"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/netlab"
	"github.com/tmonbench/tmonbench/live"
)

// TestLinkStates captures on B's end of the lab link while it goes down,
// up and is deleted: Links follows each state; while the interface is
// down or gone, Next waits for packets as on a quiet link (a handful of
// polls per idle return, not poll returning at once on the socket's
// ENETDOWN error, forever); once up again, the datagrams sent are all
// captured (the kernel attaches the socket again).
func TestLinkStates(t *testing.T) {
	lab := netlab.New(t)
	var srcs []*live.Source
	var infos []live.Info
	if err := lab.B.Do(func() (err error) {
		srcs, infos, err = live.Open(live.DefaultConfig(lab.IfB))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	s := srcs[0]
	defer s.Close()
	if !infos[0].Carrier {
		t.Errorf("%s: no carrier at Open: %+v", lab.IfB, infos[0])
	}
	ip := func(args ...string) {
		t.Helper()
		if out, err := lab.B.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v %s", args, err, out)
		}
	}
	waitState := func(want live.LinkState) {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
			var got []live.LinkState
			lab.B.Do(func() error {
				for _, l := range s.Links() {
					got = append(got, l.State)
				}
				return nil
			})
			if slices.Equal(got, []live.LinkState{want}) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("links %v after a minute, want %v", got, want)
			}
		}
	}
	// idle reads until 5 idle returns and gives the polls they took.
	idle := func() uint64 {
		t.Helper()
		before := live.Polls(s)
		for n := 0; n < 5; {
			_, _, err := s.Next()
			if errors.Is(err, pkt.ErrIdle) {
				n++
			} else if err != nil {
				t.Fatal(err)
			}
		}
		return live.Polls(s) - before
	}
	waitState(live.LinkUp)
	ip("link", "set", lab.IfB, "down")
	waitState(live.LinkDown)
	if n := idle(); n > 100 {
		t.Errorf("down: %d polls for 5 idle returns", n)
	}
	ip("link", "set", lab.IfB, "up")
	waitState(live.LinkUp)
	if _, err := lab.UDPFrom(netip.MustParseAddr(netlab.AddrA), 20, 100, 0, 9000); err != nil {
		t.Fatal(err)
	}
	got := 0
	for deadline := time.Now().Add(time.Minute); got < 20; {
		data, _, err := s.Next()
		if err == nil && len(data) >= 42 && data[23] == 17 && data[36] == 0x23 && data[37] == 0x28 {
			got++
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 20 datagrams captured after the interface came back up", got)
		}
	}
	ip("link", "del", lab.IfB)
	waitState(live.LinkGone)
	if n := idle(); n > 100 {
		t.Errorf("gone: %d polls for 5 idle returns", n)
	}
}

// TestLinkFlapAnnounced: a flap quicker than any polling (down and up
// again by one shell, back to back) reaches a LinkWatcher as both its
// changes, in order (an interface coming up is announced up without
// carrier first, then with it: that step is left out here, as the
// commands do), and the deletion as LinkGone; announcements about
// other interfaces (the second veth pair's, set down too) are not the
// source's.
func TestLinkFlapAnnounced(t *testing.T) {
	lab := netlab.New(t)
	_, other := lab.AddVeth(t, "f")
	_, w, sh := watchB(t, lab)
	// wait collects announced states until the last ones are want.
	var seen []live.LinkState
	wait := func(want ...live.LinkState) {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
			ch, lost := w.Changes(nil)
			if lost != 0 {
				t.Fatalf("%d announcements lost", lost)
			}
			for _, c := range ch {
				if c.Iface != 0 {
					t.Fatalf("change of interface %d: the source has one", c.Iface)
				}
				if len(seen) > 0 && seen[len(seen)-1] == live.LinkDown && c.State == live.LinkNoCarrier {
					continue // coming up: IFF_UP is announced before the carrier
				}
				if len(seen) == 0 || seen[len(seen)-1] != c.State { // repeats: another attribute changed
					seen = append(seen, c.State)
				}
			}
			if len(seen) >= len(want) && slices.Equal(seen[len(seen)-len(want):], want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("announced %v, want %v last", seen, want)
			}
		}
	}
	sh("ip link set " + other + " down; ip link set " + lab.IfB + " down; ip link set " + lab.IfB + " up")
	wait(live.LinkDown, live.LinkUp)
	if seen[0] != live.LinkDown {
		t.Errorf("announced %v: the first is not the flap's down", seen)
	}
	sh("ip link del " + lab.IfB)
	wait(live.LinkGone)
}

// TestLinkAttrsAnnounced: a new MTU and a rename reach a LinkWatcher with
// the interface's new MTU and name, and Links reads them too; a move to
// another network namespace, which the kernel announces down then gone,
// reaches it as the gone alone, however often Changes is called (the
// down was said first when the two reached two calls).
func TestLinkAttrsAnnounced(t *testing.T) {
	lab := netlab.New(t)
	src, w, sh := watchB(t, lab)
	// until collects changes, calling Changes every millisecond, until
	// one satisfies done.
	var seen []live.LinkChange
	until := func(what string, done func(live.LinkChange) bool) {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
			ch, _ := w.Changes(nil)
			seen = append(seen, ch...)
			if slices.ContainsFunc(ch, done) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %s announced: %+v", what, seen)
			}
		}
	}
	renamed := "r" + lab.IfB[1:]
	sh("ip link set " + lab.IfB + " mtu 1400")
	until("MTU 1400", func(c live.LinkChange) bool { return c.MTU == 1400 && c.Name == lab.IfB })
	sh("ip link set " + lab.IfB + " down; ip link set " + lab.IfB + " name " + renamed + "; ip link set " + renamed + " up")
	until("rename", func(c live.LinkChange) bool { return c.Name == renamed && c.State == live.LinkUp })
	var links []live.Link
	lab.B.Do(func() error { links = src.Links(); return nil })
	if want := []live.Link{{State: live.LinkUp, Name: renamed, MTU: 1400}}; !slices.Equal(links, want) {
		t.Errorf("Links: %+v, want %+v", links, want)
	}
	// The move: the kernel announces down, then gone (16 ms apart here,
	// idle; its synchronize_net can take longer than LinkSettle on a
	// loaded machine). The watcher's hold is tested, not the kernel's
	// speed: its clock stands still from here, so Changes, called every
	// millisecond meanwhile, gives nothing however long the gone takes;
	// once the gone is held, Changes gives nothing until the clock has
	// moved LinkSettle on, then the gone alone.
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	live.SetLinkClock(w, clock.Load)
	seen = nil
	sh("ip link set " + renamed + " netns " + lab.A.Name)
	gone := func(c live.LinkChange) bool { return c.State == live.LinkGone }
	for deadline := time.Now().Add(time.Minute); !slices.ContainsFunc(live.Held(w), gone); time.Sleep(time.Millisecond) {
		ch, _ := w.Changes(nil)
		seen = append(seen, ch...)
		if time.Now().After(deadline) {
			t.Fatalf("moved to another namespace: no gone announced after a minute; held %+v, given %+v", live.Held(w), seen)
		}
	}
	clock.Add(int64(live.LinkSettle) - 1)
	if seen, _ = w.Changes(seen); len(seen) != 0 {
		t.Errorf("moved to another namespace: Changes gave %+v before the changes were held LinkSettle", seen)
	}
	clock.Add(1)
	seen, _ = w.Changes(seen)
	if !slices.ContainsFunc(seen, gone) || slices.ContainsFunc(seen, func(c live.LinkChange) bool { return c.State == live.LinkDown || c.State == live.LinkNoCarrier }) {
		t.Errorf("moved to another namespace: announced %+v, want gone alone", seen)
	}
}

// watchB opens a source on lab.IfB and its LinkWatcher (closed at the
// test's end), with sh, which runs a shell script in namespace B.
func watchB(t *testing.T, lab *netlab.Lab) (*live.Source, *live.LinkWatcher, func(string)) {
	t.Helper()
	var (
		srcs []*live.Source
		w    *live.LinkWatcher
	)
	if err := lab.B.Do(func() (err error) {
		if srcs, _, err = live.Open(live.DefaultConfig(lab.IfB)); err != nil {
			return err
		}
		w, err = srcs[0].WatchLinks()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(); srcs[0].Close() })
	sh := func(script string) {
		t.Helper()
		if out, err := lab.B.Command("sh", "-c", script).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v %s", script, err, out)
		}
	}
	return srcs[0], w, sh
}
