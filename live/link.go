//go:build linux

package live

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// LinkState is the state of a capture interface while the capture runs
// (Source.Links).
type LinkState uint8

// The states of a capture interface.
const (
	// LinkUp: up, with carrier: packets come.
	LinkUp LinkState = iota
	// LinkNoCarrier: up without carrier (IFF_RUNNING off: a cable out, a
	// veth whose peer is down): nothing comes until the link is back.
	LinkNoCarrier
	// LinkDown: administratively down. The kernel detaches the socket
	// and attaches it again when the interface is up: the capture goes
	// on by itself.
	LinkDown
	// LinkGone: deleted (its index is no longer in the namespace). The
	// socket captures nothing more; an interface created again under the
	// same name is a new one, not captured by this Source.
	LinkGone
)

// String names the state.
func (l LinkState) String() string {
	switch l {
	case LinkUp:
		return "up"
	case LinkNoCarrier:
		return "no carrier"
	case LinkDown:
		return "down"
	}
	return "gone"
}

// linkState is the state of an interface from its flags.
func linkState(flags net.Flags) LinkState {
	return stateOf(flags&net.FlagUp != 0, flags&net.FlagRunning != 0)
}

// stateOf is the state of an interface administratively up or not, with
// its carrier (IFF_RUNNING) or not.
func stateOf(up, running bool) LinkState {
	switch {
	case !up:
		return LinkDown
	case !running:
		return LinkNoCarrier
	}
	return LinkUp
}

// Link is a capture interface as it is now: an interface keeps its index
// when renamed (ip link set NAME name NEW) or given another MTU, so the
// capture goes on under its new name.
type Link struct {
	State LinkState
	Name  string // its name now; "" when gone, or unknown
	MTU   int    // bytes, IP packet; 0 when gone, or unknown
}

// Links reads the state, name and MTU of each of the source's interfaces
// now, in the order of Interfaces, by the index each had at Open (one
// netlink request, in the calling thread's network namespace: the
// process's, as at Open). Safe from any goroutine.
func (s *Source) Links() []Link {
	out := make([]Link, len(s.indexes))
	ifs, err := net.Interfaces()
	if err != nil {
		return out // unknown: LinkUp, no name or MTU; say nothing
	}
	for i, idx := range s.indexes {
		out[i] = Link{State: LinkGone}
		for _, ifi := range ifs {
			if ifi.Index == idx {
				out[i] = Link{State: linkState(ifi.Flags), Name: ifi.Name, MTU: ifi.MTU}
				break
			}
		}
	}
	return out
}

// clearSocketError reads and so clears the pending error of a socket
// whose poll said POLLERR: the kernel sets ENETDOWN when the interface
// goes down or is deleted, and, ring sockets being never read with recv,
// poll would otherwise return at once, forever (a busy loop).
func clearSocketError(fd int) {
	unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
}

// LinkChange is one change of a capture interface's state, name or MTU,
// as the kernel announced it (LinkWatcher).
type LinkChange struct {
	Iface int   // index in Interfaces (pkt.Meta.Iface)
	Link        // the interface after the change (a deletion: LinkGone, no name or MTU)
	at    int64 // wall time received (Unix ns)
}

// linkSettle is how long a change waits in the LinkWatcher before Changes
// gives it: the kernel announces a deletion, or a move to another network
// namespace, as down first, then gone, and a down followed by its gone
// within linkSettle is given as the gone alone (a move took 16 ms between
// the two here, idle).
const linkSettle = 250 * time.Millisecond

// maxLinkChanges bounds the changes a LinkWatcher keeps between two
// Changes calls; past it the oldest are dropped (and counted): the
// caller's polling of Links still sees the current state.
const maxLinkChanges = 256

// LinkWatcher receives the kernel's announcements of link changes
// (rtnetlink RTMGRP_LINK: RTM_NEWLINK, RTM_DELLINK) for a Source's
// interfaces, so that a flap shorter than a polling period (down and up
// within a second) is seen: Links only gives the state at the moment it
// is called. One goroutine reads the netlink socket; Changes and Close
// are safe from any goroutine.
type LinkWatcher struct {
	fd      int
	indexes []int
	mu      sync.Mutex
	changes []LinkChange
	now     func() int64 // the clock changes are held by: wall time (Unix ns); tests set their own
	dropped uint64       // changes dropped past maxLinkChanges, or lost by the socket (ENOBUFS)
	done    chan struct{}
	closing atomic.Bool
}

// WatchLinks starts receiving the link announcements of the source's
// interfaces, in the calling thread's network namespace (call it where
// Open was called). Errors are the netlink socket's (the caller can go on
// polling Links).
func (s *Source) WatchLinks() (*LinkWatcher, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("live: link announcements: %w", err)
	}
	// A receive timeout lets the reader see Close (closing a socket
	// another thread blocks on does not wake it).
	tv := unix.NsecToTimeval(int64(linkReadTimeout))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("live: link announcements: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: unix.RTMGRP_LINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("live: link announcements: %w", err)
	}
	w := &LinkWatcher{fd: fd, indexes: slices.Clone(s.indexes), done: make(chan struct{}), now: func() int64 { return time.Now().UnixNano() }}
	go w.read()
	return w, nil
}

// linkReadTimeout is how long the reader waits for an announcement before
// it looks whether Close was called.
const linkReadTimeout = 200 * time.Millisecond

// read receives announcements until Close.
func (w *LinkWatcher) read() {
	defer close(w.done)
	buf := make([]byte, 64<<10)
	for !w.closing.Load() {
		n, _, err := unix.Recvfrom(w.fd, buf, 0)
		switch {
		case errors.Is(err, unix.ENOBUFS): // the kernel dropped announcements
			w.mu.Lock()
			w.dropped++
			w.mu.Unlock()
			continue
		case err != nil:
			continue // the timeout (EAGAIN), EINTR
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			continue
		}
		for _, m := range msgs {
			if (m.Header.Type != unix.RTM_NEWLINK && m.Header.Type != unix.RTM_DELLINK) || len(m.Data) < unix.SizeofIfInfomsg {
				continue
			}
			// struct ifinfomsg: family, pad, type (2), index (4), flags (4), change (4)
			index, flags := int32(binary.NativeEndian.Uint32(m.Data[4:])), binary.NativeEndian.Uint32(m.Data[8:])
			w.announce(m.Header.Type, int(index), flags, linkAttrs(&m))
		}
	}
}

// linkAttrs reads the name (IFLA_IFNAME) and MTU (IFLA_MTU) of a link
// announcement; a missing or damaged attribute is left zero.
func linkAttrs(m *syscall.NetlinkMessage) Link {
	var l Link
	attrs, err := syscall.ParseNetlinkRouteAttr(m)
	if err != nil {
		return l
	}
	for _, a := range attrs {
		switch {
		case a.Attr.Type == unix.IFLA_IFNAME:
			l.Name = strings.TrimRight(string(a.Value), "\x00")
		case a.Attr.Type == unix.IFLA_MTU && len(a.Value) == 4:
			l.MTU = int(binary.NativeEndian.Uint32(a.Value))
		}
	}
	return l
}

// announce notes the change one announcement describes, when it is about
// one of the watched interfaces; a deletion takes back the down and
// no-carrier changes of that interface Changes has not given yet (the
// deletion's own first steps).
func (w *LinkWatcher) announce(typ uint16, index int, flags uint32, l Link) {
	l.State = stateOf(flags&unix.IFF_UP != 0, flags&unix.IFF_RUNNING != 0)
	if typ == unix.RTM_DELLINK {
		l = Link{State: LinkGone}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	for i, idx := range w.indexes {
		if index != idx {
			continue
		}
		if l.State == LinkGone {
			w.changes = slices.DeleteFunc(w.changes, func(c LinkChange) bool {
				return c.Iface == i && (c.State == LinkDown || c.State == LinkNoCarrier)
			})
		}
		if len(w.changes) == maxLinkChanges {
			w.changes = w.changes[1:]
			w.dropped++
		}
		w.changes = append(w.changes, LinkChange{Iface: i, Link: l, at: now})
	}
}

// Holding reports whether a change of interface i (index in Interfaces)
// was announced that Changes has not given yet (it waits linkSettle): a
// reading of Links is then ahead of changes still to come, which give
// the interface's steps in order (a rename, then another).
func (w *LinkWatcher) Holding(i int) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.ContainsFunc(w.changes, func(c LinkChange) bool { return c.Iface == i })
}

// Changes appends to dst the changes announced since the last call and at
// least 250 ms ago (a deletion's down first: linkSettle), oldest first,
// and the number of changes lost meanwhile (dropped past 256, or by the
// kernel when the socket's buffer was full): when it is not zero, Links
// is the way to the current state. An announcement may repeat what the
// previous one gave (a change of another attribute).
func (w *LinkWatcher) Changes(dst []LinkChange) ([]LinkChange, uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	old := w.now() - int64(linkSettle)
	n := 0
	for n < len(w.changes) && w.changes[n].at <= old {
		n++
	}
	dst = append(dst, w.changes[:n]...)
	w.changes = slices.Delete(w.changes, 0, n)
	lost := w.dropped
	w.dropped = 0
	return dst, lost
}

// Close stops the reader and closes the socket.
func (w *LinkWatcher) Close() error {
	if w.closing.Swap(true) {
		return nil
	}
	<-w.done
	return unix.Close(w.fd)
}
