package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/live"
)

// linkEveryNs is how often the capture interfaces' state is read.
const linkEveryNs = int64(time.Second)

// carrierWaitNs is how long an interface set up may stay without carrier
// before that is said: the kernel's link watch defers the carrier of an
// interface coming up by up to a second (linkwatch_schedule_work), more
// on a loaded machine (CI saw it past one second).
const carrierWaitNs = 3 * int64(time.Second)

// linkWatch turns changes of the capture interfaces' state into events of
// the probe and one stderr line each, as the kernel announces them
// (live.LinkWatcher: a flap quicker than a second is two events) and from
// a reading every linkEveryNs (announcements lost, or none to be had):
// down or without
// carrier (capture_interface_down, warning), up with carrier again
// (capture_interface_up, info: the kernel captures on it again by
// itself), deleted (capture_interface_gone, error), renamed
// (capture_interface_renamed, info: still captured, named so from then
// on), a new MTU (capture_interface_mtu: info, a warning when packets
// are now cut by the snap length). The rule for a
// deleted interface: the capture goes on on the others; when none is
// left it stops as on SIGTERM (every packet captured before is analysed
// and written) and the command exits with status 1 (errAllGone).
type linkWatch struct {
	cmd    string
	names  []string         // as now (renames followed)
	mtus   []int            // as now
	snap   int              // the source's snap length
	start  []live.LinkState // at Open, said on stderr by openCapture
	state  []live.LinkState // as last reported; nil before the first check
	lastNs int64
	stderr io.Writer
	gone   bool        // no interface is left: the capture was stopped
	watch  linkChanges // nil: none (the readings alone)
	buf    []live.LinkChange
	// upNoCarrier is when a reading first found interface i up without
	// carrier after it was down (0: not so): said once a reading
	// carrierWaitNs later finds it still so, as an interface coming up
	// gets its carrier a moment after.
	upNoCarrier []int64
}

// newLinkWatch watches the interfaces of infos, captured by src; the first
// check comes a second after (the probe has started by then, with its
// first packet or idle wake-up). close ends it.
func newLinkWatch(cmd string, src *live.Source, infos []live.Info, stderr io.Writer) linkWatch {
	w := linkWatch{cmd: cmd, lastNs: wallNs(), stderr: stderr, snap: src.SnapLen()}
	for _, in := range infos {
		w.names = append(w.names, in.Name)
		w.mtus = append(w.mtus, in.MTU)
		w.start = append(w.start, startState(in))
	}
	if lw, err := src.WatchLinks(); err != nil {
		fmt.Fprintf(stderr, "tmonbench %s: warning: %v: the interfaces' state is read once a second (a flap quicker than that goes unseen)\n", cmd, err)
	} else {
		w.watch = lw
	}
	return w
}

// close stops the link announcements.
func (w *linkWatch) close() {
	if w.watch != nil {
		w.watch.Close()
	}
}

// startState is the state of an interface at Open.
func startState(in live.Info) live.LinkState {
	if !in.Carrier {
		return live.LinkNoCarrier
	}
	return live.LinkUp
}

// noCarrierAtStart is the warning of an interface without carrier at
// start (openCapture, and the event of the first check).
func noCarrierAtStart(name string) string {
	return fmt.Sprintf("%s has no carrier at start (cable out, or the other end of the link down): nothing is captured on it until the link is up; the capture goes on", name)
}

// check reports the changes announced since the last call and, at most
// once per linkEveryNs (wall time nowNs), what a reading of the
// interfaces' state finds changed; src is stopped when every interface is
// gone.
func (w *linkWatch) check(nowNs int64, src linkReader, event eventFunc) {
	if w.names == nil || w.gone {
		return
	}
	if w.watch != nil {
		w.buf, _ = w.watch.Changes(w.buf[:0]) // lost ones: the reading below has the state
	}
	poll := nowNs-w.lastNs >= linkEveryNs
	if !poll && len(w.buf) == 0 {
		return
	}
	if w.state == nil {
		w.state = append([]live.LinkState(nil), w.start...)
		w.upNoCarrier = make([]int64, len(w.state))
		for i, s := range w.start {
			if s == live.LinkNoCarrier {
				event(pdu.SevWarning, "capture_interface_down", noCarrierAtStart(w.names[i]), 0)
			}
		}
	}
	// linkEvent reports a change as an event and one stderr line.
	linkEvent := func(sev uint8, kind, msg string) {
		event(sev, kind, msg, 0)
		switch sev {
		case pdu.SevInfo:
			fmt.Fprintf(w.stderr, "tmonbench %s: %s\n", w.cmd, msg)
		case pdu.SevError:
			fmt.Fprintf(w.stderr, "tmonbench %s: error: %s\n", w.cmd, msg)
		default:
			fmt.Fprintf(w.stderr, "tmonbench %s: warning: %s\n", w.cmd, msg)
		}
	}
	for _, c := range w.buf {
		w.attrs(c.Iface, c.Link, linkEvent)
		if c.State == live.LinkNoCarrier && w.state[c.Iface] == live.LinkDown {
			continue // coming up: IFF_UP is announced before the carrier; the readings say it if it lasts
		}
		w.change(c.Iface, c.State, linkEvent)
	}
	if poll {
		w.lastNs = nowNs
		for i, l := range src.Links() {
			if w.watch != nil && w.watch.Holding(i) {
				continue // changes still held are older than this reading: they say it in order
			}
			w.attrs(i, l, linkEvent)
			s := l.State
			if s == live.LinkNoCarrier && w.state[i] == live.LinkDown {
				if w.upNoCarrier[i] == 0 || nowNs-w.upNoCarrier[i] < carrierWaitNs {
					w.upNoCarrier[i] = cmp.Or(w.upNoCarrier[i], nowNs)
					continue
				}
			}
			w.upNoCarrier[i] = 0
			w.change(i, s, linkEvent)
		}
	}
	if w.gone {
		src.Stop()
	}
}

// attrs reports a new name or MTU of interface i (l: as announced or
// read; a zero field is unknown).
func (w *linkWatch) attrs(i int, l live.Link, linkEvent func(sev uint8, kind, msg string)) {
	if w.state[i] == live.LinkGone || l.State == live.LinkGone {
		return
	}
	if l.Name != "" && l.Name != w.names[i] {
		linkEvent(pdu.SevInfo, "capture_interface_renamed", fmt.Sprintf("%s was renamed %s: it is still captured, as %s", w.names[i], l.Name, l.Name))
		w.names[i] = l.Name
	}
	if l.MTU > 0 && l.MTU != w.mtus[i] {
		msg := fmt.Sprintf("%s MTU changed from %d to %d bytes", w.names[i], w.mtus[i], l.MTU)
		if w.snap < l.MTU+18 {
			linkEvent(pdu.SevWarning, "capture_interface_mtu", fmt.Sprintf("%s: the snap length %d is below it plus the link header, packets are cut", msg, w.snap))
		} else {
			linkEvent(pdu.SevInfo, "capture_interface_mtu", msg)
		}
		w.mtus[i] = l.MTU
	}
}

// current is infos with the interfaces' names and MTUs as now.
func (w *linkWatch) current(infos []live.Info) []live.Info {
	out := slices.Clone(infos)
	for i := range out {
		if i < len(w.names) {
			out[i].Name, out[i].MTU = w.names[i], w.mtus[i]
		}
	}
	return out
}

// change reports interface i's state s when it is news.
func (w *linkWatch) change(i int, s live.LinkState, linkEvent func(sev uint8, kind, msg string)) {
	if s == w.state[i] || w.state[i] == live.LinkGone {
		return
	}
	was := w.state[i]
	w.state[i] = s
	name := w.names[i]
	switch s {
	case live.LinkUp:
		if was == live.LinkNoCarrier { // never set down: its link came back
			linkEvent(pdu.SevInfo, "capture_interface_up", fmt.Sprintf("%s has its carrier again: it is captured again", name))
			return
		}
		linkEvent(pdu.SevInfo, "capture_interface_up", fmt.Sprintf("%s is up again, with carrier: it is captured again", name))
	case live.LinkNoCarrier:
		linkEvent(pdu.SevWarning, "capture_interface_down", fmt.Sprintf("%s lost its carrier (cable out, or the other end of the link down): nothing is captured on it until the link is back", name))
	case live.LinkDown:
		linkEvent(pdu.SevWarning, "capture_interface_down", fmt.Sprintf("%s is down: nothing is captured on it until it is up again (ip link set %s up)", name, name))
	default:
		left := w.left()
		w.gone = len(left) == 0
		if !w.gone {
			linkEvent(pdu.SevError, "capture_interface_gone", fmt.Sprintf("%s was deleted or moved to another network namespace: the capture goes on on %s (an interface created again under that name is not captured before a restart)", name, strings.Join(left, ", ")))
		} else {
			linkEvent(pdu.SevError, "capture_interface_gone", fmt.Sprintf("%s was deleted or moved to another network namespace: no interface is left to capture on; the capture stops", name))
		}
	}
}

// left names the interfaces not gone.
func (w *linkWatch) left() []string {
	var out []string
	for i, s := range w.state {
		if s != live.LinkGone {
			out = append(out, w.names[i])
		}
	}
	return out
}

// goneErr is the error of a capture that stopped because every interface
// was deleted (exit status 1), nil otherwise; kept says where what was
// captured went.
func (w *linkWatch) goneErr(kept string) error {
	if !w.gone {
		return nil
	}
	return &exitError{code: 1, err: fmt.Errorf("every capture interface is gone, deleted or moved to another network namespace (%s): the capture stopped; %s", strings.Join(w.names, ", "), kept)}
}
