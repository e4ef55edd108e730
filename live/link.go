//go:build linux

package live

import (
	"net"

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
	switch {
	case flags&net.FlagUp == 0:
		return LinkDown
	case flags&net.FlagRunning == 0:
		return LinkNoCarrier
	}
	return LinkUp
}

// Links reads the state of each of the source's interfaces now, in the
// order of Interfaces, by the index each had at Open (one netlink
// request, in the calling thread's network namespace: the process's, as
// at Open). Safe from any goroutine.
func (s *Source) Links() []LinkState {
	out := make([]LinkState, len(s.indexes))
	ifs, err := net.Interfaces()
	if err != nil {
		for i := range out {
			out[i] = LinkUp // unknown: say nothing
		}
		return out
	}
	for i, idx := range s.indexes {
		out[i] = LinkGone
		for _, ifi := range ifs {
			if ifi.Index == idx {
				out[i] = linkState(ifi.Flags)
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
