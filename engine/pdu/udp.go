package pdu

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
)

// maxDatagram is the read buffer of the UDP endpoints: the largest frame.
const maxDatagram = HeaderLen + MaxPayload + TagLen + TrailerLen

// SocketBufferBytes is the receive and send buffer the UDP endpoints ask
// the kernel for: 8 MiB holds about 6,000 full frames, a burst of a probe
// replaying at full speed while the collector writes a Parquet part. The
// default (net.core.rmem_default, ~208 KiB: ~150 frames) made a collector
// on loopback lose about half the frames of such a probe, each then
// retried. Without CAP_NET_ADMIN the kernel caps the size at
// net.core.rmem_max (UDPListener.ReadBufferBytes says what it granted).
const SocketBufferBytes = 8 << 20

// UDPStats counts a UDP endpoint's traffic.
type UDPStats struct {
	Sent, SendErrors   uint64 // datagrams written, write failures
	Received           uint64 // datagrams read
	AcksDropped        uint64 // acks read while maxHeldAcks were waiting for Poll (the PDU is retried)
	AckSends, AckFails uint64 // acks written back by a listener, failures
	// Refused counts the ICMP port unreachable reports the connected
	// socket surfaced (ECONNREFUSED on a read or a write): nothing
	// listened at the collector's address when a datagram arrived.
	Refused uint64
}

// UDPLink is the probe side of a UDP channel to one collector: Send writes
// one datagram per frame; a goroutine reads the acknowledgements and keeps
// them until the probe hands them to its Sender from its own goroutine
// (Poll), so the Sender stays single-threaded. Write errors are counted,
// not returned: the Sender retries.
type UDPLink struct {
	conn  *net.UDPConn
	mu    sync.Mutex
	acks  [][]byte // read, waiting for Poll (guarded by mu)
	spare [][]byte // Poll's buffer for the next swap (Poll's goroutine only)
	done  chan struct{}
	stats struct{ sent, sendErrors, received, dropped, refused atomic.Uint64 }
	once  sync.Once
}

// maxHeldAcks bounds the acknowledgements a UDPLink keeps for Poll (a few
// MiB); past it they are dropped and counted (UDPStats.AcksDropped). A
// probe does not poll while it sends a long queue in one go (the drain
// at the end of a run): the acks of that burst wait here. A channel of
// 1,024 used to drop the rest, and their PDUs stayed unacknowledged to
// the end, unretried: the drain had moved the channel's clock past the
// linger (probe -i under a ping flood: 1,819 of 8,445 acks dropped,
// "1819 PDUs still unacknowledged after --linger 5s", 0 retransmissions,
// the collector having accepted all 8,445; TestUDPAcksKeptUntilPoll).
// The regulation's queue bound (MaxQueueBytes, 16 MiB: about 12,000
// full PDUs) keeps a burst well below it.
const maxHeldAcks = 1 << 16

// DialUDP connects to the collector at addr ("host:port").
func DialUDP(addr string) (*UDPLink, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	conn, err := net.DialUDP("udp", nil, ua)
	if err != nil {
		return nil, err
	}
	setSocketBuffers(conn, SocketBufferBytes)
	u := &UDPLink{conn: conn, done: make(chan struct{})}
	go u.read()
	return u, nil
}

func (u *UDPLink) read() {
	defer close(u.done)
	buf := make([]byte, maxDatagram)
	for {
		n, err := u.conn.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if errors.Is(err, syscall.ECONNREFUSED) {
				u.stats.refused.Add(1) // ICMP port unreachable
			}
			continue
		}
		u.stats.received.Add(1)
		a := append([]byte(nil), buf[:n]...)
		u.mu.Lock()
		if len(u.acks) < maxHeldAcks {
			u.acks = append(u.acks, a)
		} else {
			u.stats.dropped.Add(1)
		}
		u.mu.Unlock()
	}
}

// Send implements Link.
func (u *UDPLink) Send(frame []byte) {
	if _, err := u.conn.Write(frame); err != nil {
		u.stats.sendErrors.Add(1)
		if errors.Is(err, syscall.ECONNREFUSED) {
			u.stats.refused.Add(1)
		}
		return
	}
	u.stats.sent.Add(1)
}

// Poll hands every acknowledgement received so far to s at probe time
// nowNs, without waiting for more, and returns how many. Call it from the
// goroutine that owns s, before s.Tick, and from that one only.
func (u *UDPLink) Poll(s *Sender, nowNs int64) int {
	u.mu.Lock()
	got := u.acks
	u.acks = u.spare[:0]
	u.mu.Unlock()
	for i, a := range got {
		s.HandleAckAt(nowNs, a)
		got[i] = nil
	}
	u.spare = got[:0]
	return len(got)
}

// LocalAddr returns the probe side address.
func (u *UDPLink) LocalAddr() netip.AddrPort {
	return u.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Stats returns the counters.
func (u *UDPLink) Stats() UDPStats {
	return UDPStats{Sent: u.stats.sent.Load(), SendErrors: u.stats.sendErrors.Load(), Received: u.stats.received.Load(),
		AcksDropped: u.stats.dropped.Load(), Refused: u.stats.refused.Load()}
}

// Close closes the socket and waits for the reading goroutine to end.
func (u *UDPLink) Close() error {
	var err error
	u.once.Do(func() {
		err = u.conn.Close()
		<-u.done
	})
	return err
}

// UDPListener is the collector side of UDP channels: it reads frames from
// any probe and writes acknowledgements back to the sender's address.
type UDPListener struct {
	conn    *net.UDPConn
	stats   struct{ received, ackSends, ackFails atomic.Uint64 }
	readBuf int
}

// ListenUDP listens on addr ("host:port"; port 0 picks one, see Addr).
func ListenUDP(addr string) (*UDPListener, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, err
	}
	return &UDPListener{conn: conn, readBuf: setSocketBuffers(conn, SocketBufferBytes)}, nil
}

// ReadBufferBytes is the receive buffer the kernel granted the listener,
// in the bytes asked for; below SocketBufferBytes, net.core.rmem_max
// capped it.
func (l *UDPListener) ReadBufferBytes() int { return l.readBuf }

// Addr returns the listening address.
func (l *UDPListener) Addr() netip.AddrPort {
	return l.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// ReadFrame blocks for the next datagram, read into buf (which should hold
// HeaderLen+MaxPayload+TagLen+TrailerLen bytes), and returns it and its
// source. Errors: those of the socket; net.ErrClosed after Close.
func (l *UDPListener) ReadFrame(buf []byte) ([]byte, netip.AddrPort, error) {
	n, from, err := l.conn.ReadFromUDPAddrPort(buf)
	if err != nil {
		return nil, from, err
	}
	l.stats.received.Add(1)
	return buf[:n], from, nil
}

// SendAck writes an acknowledgement to a probe.
func (l *UDPListener) SendAck(ack []byte, to netip.AddrPort) error {
	_, err := l.conn.WriteToUDPAddrPort(ack, to)
	if err != nil {
		l.stats.ackFails.Add(1)
	} else {
		l.stats.ackSends.Add(1)
	}
	return err
}

// Serve reads frames until ctx is done, hands each with its source address
// to handle (in Serve's goroutine only: Collector.Handle or a Receiver's,
// which are not safe for concurrent use) and sends back the
// acknowledgement handle returns, if any (a collector holding an ack back
// sends it later with SendAck). It closes the listener and returns
// ctx.Err() when ctx ends, or the first socket error.
func (l *UDPListener) Serve(ctx context.Context, handle func(frame []byte, from netip.AddrPort) (ack []byte)) error {
	stop := context.AfterFunc(ctx, func() { l.conn.Close() })
	defer stop()
	buf := make([]byte, maxDatagram)
	for {
		frame, from, err := l.ReadFrame(buf)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			continue
		}
		if ack := handle(frame, from); ack != nil {
			l.SendAck(ack, from)
		}
	}
}

// Stats returns the counters.
func (l *UDPListener) Stats() UDPStats {
	return UDPStats{Received: l.stats.received.Load(), AckSends: l.stats.ackSends.Load(), AckFails: l.stats.ackFails.Load()}
}

// Close closes the socket (ending Serve).
func (l *UDPListener) Close() error { return l.conn.Close() }
