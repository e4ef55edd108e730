//go:build linux

package netlab

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"
	"golang.org/x/sys/unix"
)

// Mix says what traffic Send generates from A to B.
type Mix struct {
	Pings      int           // ICMP echo requests (B's kernel answers each)
	UDP        int           // UDP datagrams to port UDPPort
	UDPSize    int           // payload bytes of each datagram
	UDPGap     time.Duration // time between datagrams (the fixed rate)
	TCPBytes   int           // bytes of one TCP transfer to port TCPPort (0: none)
	DNS        bool          // one DNS query (A lab.example.) and its answer, port 53
	PingSize   int           // ICMP payload bytes (default 56, as ping)
	UDPPort    uint16        // default 9000
	TCPPort    uint16        // default 5001
	IPv6       bool          // use the IPv6 addresses
	ICMPIdent  uint16        // echo identifier (default 0x7a1b)
	SettleWait time.Duration // pause after the last packet (default 50 ms)
}

// Flow is one direction of a conversation the generator made, with the
// packets and IP bytes (IP header included) it sent, known exactly.
type Flow struct {
	Proto    uint8 // 1 ICMP, 6 TCP, 17 UDP, 58 ICMPv6
	Src, Dst netip.AddrPort
	Packets  uint64 // 0 for TCP (segmentation is the kernel's)
	IPBytes  uint64 // 0 for TCP
	Payload  uint64 // TCP: the payload bytes of this direction
}

// Truth is what Send sent.
type Truth struct {
	Flows    []Flow
	Start    time.Time // before the first packet
	End      time.Time // after the last packet (and its answer)
	PingRTTs []time.Duration
}

func (m *Mix) defaults() {
	if m.PingSize == 0 {
		m.PingSize = 56
	}
	if m.UDPPort == 0 {
		m.UDPPort = 9000
	}
	if m.TCPPort == 0 {
		m.TCPPort = 5001
	}
	if m.ICMPIdent == 0 {
		m.ICMPIdent = 0x7a1b
	}
	if m.SettleWait == 0 {
		m.SettleWait = 50 * time.Millisecond
	}
}

// Send generates the mix between A (client) and B (server) and returns the
// truth. Servers run in B's namespace, clients in A's.
func (l *Lab) Send(m Mix) (Truth, error) {
	m.defaults()
	a, b := netip.MustParseAddr(AddrA), netip.MustParseAddr(AddrB)
	ipHdr := uint64(20)
	if m.IPv6 {
		a, b, ipHdr = netip.MustParseAddr(Addr6A), netip.MustParseAddr(Addr6B), 40
	}
	tr := Truth{Start: time.Now()}
	var err error
	if m.Pings > 0 {
		if err = l.ping(&m, a, b, ipHdr, &tr); err != nil {
			return tr, fmt.Errorf("ping: %w", err)
		}
	}
	if m.UDP > 0 {
		if err = udp(&m, l.A, l.B, a, b, ipHdr, &tr); err != nil {
			return tr, fmt.Errorf("udp: %w", err)
		}
	}
	if m.DNS {
		if err = l.dns(a, b, ipHdr, &tr); err != nil {
			return tr, fmt.Errorf("dns: %w", err)
		}
	}
	if m.TCPBytes > 0 {
		if err = l.tcp(&m, a, b, &tr); err != nil {
			return tr, fmt.Errorf("tcp: %w", err)
		}
	}
	tr.End = time.Now()
	time.Sleep(m.SettleWait)
	return tr, nil
}

// ping sends echo requests from a raw ICMP socket in A and reads B's
// replies (RFC 792; RFC 4443 for ICMPv6, whose checksum the kernel fills).
func (l *Lab) ping(m *Mix, a, b netip.Addr, ipHdr uint64, tr *Truth) error {
	fam, proto, typ := unix.AF_INET, unix.IPPROTO_ICMP, byte(8)
	if b.Is6() {
		fam, proto, typ = unix.AF_INET6, unix.IPPROTO_ICMPV6, 128
	}
	var fd int
	err := l.A.Do(func() (err error) {
		fd, err = unix.Socket(fam, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
		return err
	})
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	// Raw ICMPv6 sockets have their checksum computed by the kernel.
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: int64(hangBound / time.Second)})
	var to unix.Sockaddr = &unix.SockaddrInet4{Addr: b.As4()}
	if b.Is6() {
		to = &unix.SockaddrInet6{Addr: b.As16()}
	}
	msg := make([]byte, 8+m.PingSize)
	buf := make([]byte, 2048)
	for seq := 1; seq <= m.Pings; seq++ {
		msg[0], msg[1] = typ, 0
		binary.BigEndian.PutUint16(msg[2:], 0)
		binary.BigEndian.PutUint16(msg[4:], m.ICMPIdent)
		binary.BigEndian.PutUint16(msg[6:], uint16(seq))
		for i := 8; i < len(msg); i++ {
			msg[i] = byte(i)
		}
		if !b.Is6() {
			binary.BigEndian.PutUint16(msg[2:], checksum(msg))
		}
		sent := time.Now()
		if err := unix.Sendto(fd, msg, 0, to); err != nil {
			return err
		}
		for { // wait for this request's reply
			n, _, err := unix.Recvfrom(fd, buf, 0)
			if err != nil {
				return fmt.Errorf("no echo reply %d: %w", seq, err)
			}
			p := buf[:n]
			if !b.Is6() {
				if n < 20 {
					continue
				}
				p = p[int(p[0]&0xf)*4:]
			}
			if len(p) >= 8 && (p[0] == 0 || p[0] == 129) && binary.BigEndian.Uint16(p[4:]) == m.ICMPIdent && binary.BigEndian.Uint16(p[6:]) == uint16(seq) {
				tr.PingRTTs = append(tr.PingRTTs, time.Since(sent))
				break
			}
		}
	}
	p := uint8(1)
	if b.Is6() {
		p = 58
	}
	size := ipHdr + uint64(len(msg))
	n := uint64(m.Pings)
	tr.Flows = append(tr.Flows,
		Flow{Proto: p, Src: netip.AddrPortFrom(a, 0), Dst: netip.AddrPortFrom(b, 0), Packets: n, IPBytes: n * size},
		Flow{Proto: p, Src: netip.AddrPortFrom(b, 0), Dst: netip.AddrPortFrom(a, 0), Packets: n, IPBytes: n * size})
	return nil
}

func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// listenUDP opens a UDP socket in ns.
func listenUDP(ns *NS, ap netip.AddrPort) (*net.UDPConn, error) {
	var c *net.UDPConn
	err := ns.Do(func() (err error) {
		c, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(ap))
		return err
	})
	return c, err
}

// hangBound bounds every wait of the generator for the other end (a
// datagram, an echo reply, a connection, the server's FIN): a lost packet
// or a hung peer fails the send after it, and nothing else does. It was 2
// to 10 s, which a loaded machine's ksoftirqd (the veth's receive queue)
// and scheduler could use up on a packet that was not lost.
const hangBound = time.Minute

// udp sends m.UDP datagrams of m.UDPSize bytes, m.UDPGap apart, to a
// socket that reads them in B.
func udp(m *Mix, nsA, nsB *NS, a, b netip.Addr, ipHdr uint64, tr *Truth) error {
	srv, err := listenUDP(nsB, netip.AddrPortFrom(b, m.UDPPort))
	if err != nil {
		return err
	}
	defer srv.Close()
	cli, err := listenUDP(nsA, netip.AddrPortFrom(a, 0))
	if err != nil {
		return err
	}
	defer cli.Close()
	got := make(chan int, 1)
	go func() {
		buf := make([]byte, 65536)
		n := 0
		srv.SetReadDeadline(time.Now().Add(time.Duration(m.UDP)*m.UDPGap + hangBound))
		for n < m.UDP {
			if _, _, err := srv.ReadFromUDPAddrPort(buf); err != nil {
				break
			}
			n++
		}
		got <- n
	}()
	payload := make([]byte, m.UDPSize)
	dst := netip.AddrPortFrom(b, m.UDPPort)
	next := time.Now()
	for i := 0; i < m.UDP; i++ {
		binary.BigEndian.PutUint32(payload, uint32(i))
		if _, err := cli.WriteToUDPAddrPort(payload, dst); err != nil {
			return err
		}
		next = next.Add(m.UDPGap)
		time.Sleep(time.Until(next))
	}
	if n := <-got; n != m.UDP {
		return fmt.Errorf("server read %d of %d datagrams", n, m.UDP)
	}
	src := cli.LocalAddr().(*net.UDPAddr).AddrPort()
	tr.Flows = append(tr.Flows, Flow{Proto: 17, Src: netip.AddrPortFrom(a, src.Port()), Dst: dst,
		Packets: uint64(m.UDP), IPBytes: uint64(m.UDP) * (ipHdr + 8 + uint64(m.UDPSize))})
	return nil
}

// dns asks B's little server for lab.example. A and reads its answer.
func (l *Lab) dns(a, b netip.Addr, ipHdr uint64, tr *Truth) error {
	dst := netip.AddrPortFrom(b, 53)
	srv, err := listenUDP(l.B, dst)
	if err != nil {
		return err
	}
	defer srv.Close()
	cli, err := listenUDP(l.A, netip.AddrPortFrom(a, 0))
	if err != nil {
		return err
	}
	defer cli.Close()
	name := dnsmessage.MustNewName("lab.example.")
	q := dnsmessage.Message{Header: dnsmessage.Header{ID: 0x4242, RecursionDesired: true},
		Questions: []dnsmessage.Question{{Name: name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}}}
	query, err := q.Pack()
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	var answerLen int
	var srvErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 1500)
		srv.SetReadDeadline(time.Now().Add(hangBound))
		n, from, err := srv.ReadFromUDPAddrPort(buf)
		if err != nil {
			srvErr = err
			return
		}
		var in dnsmessage.Message
		if err := in.Unpack(buf[:n]); err != nil {
			srvErr = err
			return
		}
		out := dnsmessage.Message{Header: dnsmessage.Header{ID: in.ID, Response: true, Authoritative: true},
			Questions: in.Questions,
			Answers: []dnsmessage.Resource{{Header: dnsmessage.ResourceHeader{Name: name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 60},
				Body: &dnsmessage.AResource{A: [4]byte{192, 0, 2, 53}}}}}
		ans, err := out.Pack()
		if err != nil {
			srvErr = err
			return
		}
		answerLen = len(ans)
		_, srvErr = srv.WriteToUDPAddrPort(ans, from)
	}()
	if _, err := cli.WriteToUDPAddrPort(query, dst); err != nil {
		return err
	}
	buf := make([]byte, 1500)
	cli.SetReadDeadline(time.Now().Add(hangBound))
	n, _, err := cli.ReadFromUDPAddrPort(buf)
	wg.Wait()
	if err != nil {
		return err
	}
	if srvErr != nil {
		return srvErr
	}
	if n != answerLen {
		return fmt.Errorf("answer of %d bytes, server sent %d", n, answerLen)
	}
	src := netip.AddrPortFrom(a, cli.LocalAddr().(*net.UDPAddr).AddrPort().Port())
	tr.Flows = append(tr.Flows,
		Flow{Proto: 17, Src: src, Dst: dst, Packets: 1, IPBytes: ipHdr + 8 + uint64(len(query))},
		Flow{Proto: 17, Src: dst, Dst: src, Packets: 1, IPBytes: ipHdr + 8 + uint64(answerLen)})
	return nil
}

// tcp transfers m.TCPBytes from A to a server in B that reads them all,
// then both close.
func (l *Lab) tcp(m *Mix, a, b netip.Addr, tr *Truth) error {
	dst := netip.AddrPortFrom(b, m.TCPPort)
	var ln *net.TCPListener
	if err := l.B.Do(func() (err error) {
		ln, err = net.ListenTCP("tcp", net.TCPAddrFromAddrPort(dst))
		return err
	}); err != nil {
		return err
	}
	defer ln.Close()
	got := make(chan error, 1)
	var read int64
	go func() {
		ln.SetDeadline(time.Now().Add(hangBound))
		c, err := ln.AcceptTCP()
		if err != nil {
			got <- err
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(hangBound))
		read, err = io.Copy(io.Discard, c)
		got <- err
	}()
	var c *net.TCPConn
	if err := l.A.Do(func() (err error) {
		d := net.Dialer{Timeout: hangBound, LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(a, 0))}
		conn, err := d.Dial("tcp", dst.String())
		if err == nil {
			c = conn.(*net.TCPConn)
		}
		return err
	}); err != nil {
		return err
	}
	src := c.LocalAddr().(*net.TCPAddr).AddrPort()
	buf := make([]byte, 64<<10)
	left := m.TCPBytes
	for left > 0 {
		n := min(left, len(buf))
		if _, err := c.Write(buf[:n]); err != nil {
			c.Close()
			return err
		}
		left -= n
	}
	c.CloseWrite()
	if err := <-got; err != nil {
		c.Close()
		return err
	}
	// Wait for the server's FIN, so the connection ends cleanly.
	c.SetReadDeadline(time.Now().Add(hangBound))
	if _, err := c.Read(buf); err != nil && !errors.Is(err, io.EOF) {
		c.Close()
		return err
	}
	c.Close()
	if read != int64(m.TCPBytes) {
		return fmt.Errorf("server read %d of %d bytes", read, m.TCPBytes)
	}
	tr.Flows = append(tr.Flows,
		Flow{Proto: 6, Src: netip.AddrPortFrom(a, src.Port()), Dst: dst, Payload: uint64(m.TCPBytes)},
		Flow{Proto: 6, Src: dst, Dst: netip.AddrPortFrom(a, src.Port())})
	return nil
}

// UDPFrom sends count datagrams of size payload bytes, gap apart, from
// src (an address of A) to B's port, and returns the flow.
func (l *Lab) UDPFrom(src netip.Addr, count, size int, gap time.Duration, port uint16) (Flow, error) {
	m := Mix{UDP: count, UDPSize: size, UDPGap: gap, UDPPort: port}
	m.defaults()
	b, hdr := netip.MustParseAddr(AddrB), uint64(20)
	if src.Is6() {
		b, hdr = netip.MustParseAddr(Addr6B), 40
	}
	var tr Truth
	if err := udp(&m, l.A, l.B, src, b, hdr, &tr); err != nil {
		return Flow{}, err
	}
	return tr.Flows[0], nil
}

// UDP sends count datagrams of size payload bytes, gap apart, from src in
// namespace from to dst:port in namespace to (a routed lab's ends).
func UDP(from, to *NS, src, dst netip.Addr, port uint16, count, size int, gap time.Duration) (Flow, error) {
	m := Mix{UDP: count, UDPSize: size, UDPGap: gap, UDPPort: port}
	m.defaults()
	hdr := uint64(20)
	if src.Is6() {
		hdr = 40
	}
	var tr Truth
	if err := udp(&m, from, to, src, dst, hdr, &tr); err != nil {
		return Flow{}, err
	}
	return tr.Flows[0], nil
}
