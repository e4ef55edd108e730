//go:build linux

package live

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// Layout of the TPACKET_V3 ring (linux/if_packet.h): a block starts with
// struct tpacket_block_desc, whose tpacket_hdr_v1 holds the block status,
// the number of packets and the offset of the first; each packet starts
// with struct tpacket3_hdr followed by a struct sockaddr_ll.
const (
	blkStatus    = 8       // tpacket_hdr_v1.block_status (u32)
	blkNumPkts   = 12      // num_pkts (u32)
	blkFirst     = 16      // offset_to_first_pkt (u32)
	pktNext      = 0       // tpacket3_hdr.tp_next_offset (u32)
	pktSec       = 4       // tp_sec
	pktNsec      = 8       // tp_nsec
	pktSnaplen   = 12      // tp_snaplen
	pktLen       = 16      // tp_len
	pktStatus    = 20      // tp_status
	pktMac       = 24      // tp_mac (u16)
	pktVLANTCI   = 32      // hv1.tp_vlan_tci (u32)
	pktVLANTPID  = 36      // hv1.tp_vlan_tpid (u16)
	pktLLType    = 48 + 10 // sockaddr_ll.sll_pkttype (u8), after the 48-byte header
	tpHdrEnd     = 48 + 20 // end of the sockaddr_ll: the first byte free before tp_mac
	reserveBytes = 4       // PACKET_RESERVE: room to put a stripped VLAN tag back in place
)

// ne reads the ring's header fields, which the kernel writes in host order.
var ne = binary.NativeEndian

// socket is one AF_PACKET socket with its mapped TPACKET_V3 ring.
type socket struct {
	fd       int
	mem      []byte
	blockLen int
	nBlocks  int
	iface    uint16
	link     pkt.LinkType
	loopback bool // skip outgoing copies (each packet on lo is seen twice)

	// Reading state (owned by the reading goroutine).
	block   int  // current block
	inBlock bool // the current block is ours (TP_STATUS_USER)
	left    int  // packets of the current block not yet peeked
	off     int  // offset of the next packet in the ring
	release bool // the current block is done: give it back at the next step
	head    bool // a packet is peeked and not yet delivered
	// seenMono is when the reader first saw the head (Source.mono), -1
	// until it does.
	seenMono int64
	data     []byte
	meta     pkt.Meta

	mu    sync.Mutex // guards stats reads (getsockopt resets the kernel counters)
	stats Stats
	seen  atomic.Uint64 // packets delivered from this socket
	late  atomic.Uint64 // of them, delivered out of time order (Stats.OutOfOrder)
	tags  atomic.Uint64 // VLAN tags put back
	loop  atomic.Uint64 // outgoing copies skipped on a loopback interface
}

// errPermission is wrapped when the process may not open packet sockets.
var errPermission = errors.New("live: capture needs CAP_NET_RAW")

// openSocket creates the socket and its ring, binds it to the interface
// behind a filter that refuses every packet, and joins the fanout group
// when fanout is set. It takes no packet until arm puts the capture's
// filter in place: a socket of several workers takes none before the
// whole group is joined (each packet would go to the workers already in
// it, whatever its shard), and the kernel's counters count from arm, so
// that every packet the ring holds is counted (tp_packets).
func openSocket(cfg *Config, info Info, iface uint16, fanout uint16, fprog []bpf.RawInstruction) (*socket, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return nil, fmt.Errorf("%w: %v", errPermission, err)
		}
		return nil, fmt.Errorf("live: packet socket: %w", err)
	}
	s := &socket{fd: fd, iface: iface, link: info.LinkType, loopback: info.Loopback, seenMono: -1}
	fail := func(what string, err error) (*socket, error) {
		s.close()
		return nil, fmt.Errorf("live: %s %s: %w", info.Name, what, err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
		return fail("TPACKET_V3", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_RESERVE, reserveBytes); err != nil {
		return fail("PACKET_RESERVE", err)
	}
	// Software receive timestamps on (for the whole host, as any socket
	// asking for them does): the kernel then stamps a received packet once,
	// as it enters the stack, and every packet socket reads that one
	// stamp. Without it, and still for packets carrying a delivery time
	// instead (TCP's pacing time, kept across a veth), each socket reads the
	// clock itself as it fills its ring, a microsecond or so later and
	// differently per socket (TestProbeLiveWorkers compares two captures of
	// the same packets).
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		return fail("SO_TIMESTAMPNS", err)
	}
	s.blockLen, s.nBlocks = cfg.BlockBytes, cfg.RingBytes/cfg.BlockBytes
	req := unix.TpacketReq3{
		Block_size:     uint32(s.blockLen),
		Block_nr:       uint32(s.nBlocks),
		Frame_size:     unix.TPACKET_ALIGNMENT << 7,
		Retire_blk_tov: uint32(cfg.BlockTimeout.Milliseconds()),
	}
	req.Frame_nr = req.Block_size / req.Frame_size * req.Block_nr
	if err := unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return fail(fmt.Sprintf("ring of %d blocks of %d bytes", s.nBlocks, s.blockLen), err)
	}
	s.mem, err = unix.Mmap(fd, 0, s.blockLen*s.nBlocks, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return fail("mmap ring", err)
	}
	if err := attach(fd, unix.SO_ATTACH_FILTER, refuseAll); err != nil {
		return fail("attach filter", err)
	}
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: info.Index}
	if err := unix.Bind(fd, sa); err != nil {
		return fail("bind", err)
	}
	if cfg.Promiscuous && !info.Loopback {
		mreq := unix.PacketMreq{Ifindex: int32(info.Index), Type: unix.PACKET_MR_PROMISC}
		if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
			return fail("promiscuous mode", err)
		}
	}
	if fprog != nil {
		arg := int(fanout) | unix.PACKET_FANOUT_CBPF<<16
		if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_FANOUT, arg); err != nil {
			return fail("PACKET_FANOUT", err)
		}
		if err := attach(fd, unix.PACKET_FANOUT_DATA, fprog); err != nil {
			return fail("PACKET_FANOUT_DATA", err)
		}
	}
	return s, nil
}

// refuseAll is the filter of a socket not armed yet: it keeps no byte of
// any packet, and the kernel counts none of them.
var refuseAll = []bpf.RawInstruction{{Op: unix.BPF_RET | unix.BPF_K, K: 0}}

// arm puts the capture's filter in place of refuseAll: the socket takes
// packets from now on.
func (s *socket) arm(name string, prog []bpf.RawInstruction) error {
	if len(prog) == 0 {
		return fmt.Errorf("live: %s: empty capture filter", name)
	}
	if err := attach(s.fd, unix.SO_ATTACH_FILTER, prog); err != nil {
		return fmt.Errorf("live: %s attach filter: %w", name, err)
	}
	return nil
}

// disarm puts refuseAll back in place of the capture's filter (Stop): the
// socket takes no further packet, and the ring keeps those it holds.
// Safe from any goroutine.
func (s *socket) disarm() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fd >= 0 {
		attach(s.fd, unix.SO_ATTACH_FILTER, refuseAll)
	}
}

// attach sets a classic BPF program as a socket filter (SO_ATTACH_FILTER)
// or fanout program (PACKET_FANOUT_DATA).
func attach(fd, opt int, prog []bpf.RawInstruction) error {
	if len(prog) == 0 {
		return nil
	}
	fp := unix.SockFprog{Len: uint16(len(prog)), Filter: (*unix.SockFilter)(unsafe.Pointer(&prog[0]))}
	level := unix.SOL_SOCKET
	if opt == unix.PACKET_FANOUT_DATA {
		level = unix.SOL_PACKET
	}
	return unix.SetsockoptSockFprog(fd, level, opt, &fp)
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func (s *socket) close() {
	if s.fd >= 0 {
		s.readStats() // the counters since the last read are kept
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mem != nil {
		unix.Munmap(s.mem)
		s.mem = nil
	}
	if s.fd >= 0 {
		unix.Close(s.fd)
		s.fd = -1
	}
}

func (s *socket) u32(off int) uint32 { return ne.Uint32(s.mem[off:]) }

func (s *socket) status(block int) *uint32 {
	return (*uint32)(unsafe.Pointer(&s.mem[block*s.blockLen+blkStatus]))
}

// peek makes the next packet of the ring the socket's head, without
// waiting; false when the kernel has handed over no further packet. The
// block of the previous head goes back to the kernel first (its data is
// no longer borrowed).
func (s *socket) peek() bool {
	if s.head {
		return true
	}
	for {
		if s.release {
			atomic.StoreUint32(s.status(s.block), unix.TP_STATUS_KERNEL)
			s.release, s.inBlock = false, false
			s.block = (s.block + 1) % s.nBlocks
		}
		if !s.inBlock {
			if atomic.LoadUint32(s.status(s.block))&unix.TP_STATUS_USER == 0 {
				return false
			}
			base := s.block * s.blockLen
			s.inBlock = true
			s.left = int(s.u32(base + blkNumPkts))
			s.off = base + int(s.u32(base+blkFirst))
		}
		if s.left == 0 {
			s.release = true
			continue
		}
		p := s.off
		s.left--
		if s.left == 0 {
			s.release = true // given back at the next peek, after its packet is used
		} else {
			s.off = p + int(s.u32(p+pktNext))
		}
		if s.loopback && s.mem[p+pktLLType] == unix.PACKET_OUTGOING {
			s.loop.Add(1)
			continue // lo: the same packet comes back as received
		}
		s.fill(p)
		return true
	}
}

// fill makes the packet at ring offset p the head. A VLAN tag the kernel
// took out of the frame (TP_STATUS_VLAN_VALID) is put back in place: the
// 12 address bytes move 4 bytes down into the reserved room and the tag
// (TPID, TCI) goes between them and the EtherType, so the frame reads as
// on the wire and as a replayed capture would.
func (s *socket) fill(p int) {
	st := s.u32(p + pktStatus)
	mac := int(ne.Uint16(s.mem[p+pktMac:]))
	snap := int(s.u32(p + pktSnaplen))
	wire := s.u32(p + pktLen)
	start := p + mac
	if st&unix.TP_STATUS_VLAN_VALID != 0 && s.link == pkt.LinkEthernet && snap >= 12 && mac >= tpHdrEnd+4 {
		tpid := uint16(unix.ETH_P_8021Q)
		if st&unix.TP_STATUS_VLAN_TPID_VALID != 0 {
			if v := ne.Uint16(s.mem[p+pktVLANTPID:]); v != 0 {
				tpid = v
			}
		}
		tci := uint16(s.u32(p + pktVLANTCI))
		copy(s.mem[start-4:start+8], s.mem[start:start+12])
		binary.BigEndian.PutUint16(s.mem[start+8:], tpid)
		binary.BigEndian.PutUint16(s.mem[start+10:], tci)
		start -= 4
		snap += 4
		wire += 4
		s.tags.Add(1)
	}
	s.data = s.mem[start : start+snap : start+snap]
	s.meta = pkt.Meta{
		TimeNs:   int64(s.u32(p+pktSec))*1e9 + int64(s.u32(p+pktNsec)),
		CapLen:   uint32(snap),
		WireLen:  wire,
		LinkType: s.link,
		Iface:    s.iface,
	}
	s.head = true
}

// take hands the head over to the caller.
func (s *socket) take() ([]byte, pkt.Meta) {
	s.head, s.seenMono = false, -1
	s.seen.Add(1)
	return s.data, s.meta
}

// readStats adds the kernel's counters since the last read (reading
// resets them) to the socket's totals and returns the totals.
func (s *socket) readStats() (Stats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Delivered = s.seen.Load()
	s.stats.VLANRestored = s.tags.Load()
	s.stats.LoopbackCopies = s.loop.Load()
	s.stats.OutOfOrder = s.late.Load()
	if s.fd < 0 {
		return s.stats, nil
	}
	st, err := unix.GetsockoptTpacketStatsV3(s.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return s.stats, err
	}
	s.stats.KernelPackets += uint64(st.Packets)
	s.stats.Drops += uint64(st.Drops)
	s.stats.Freezes += uint64(st.Freeze_q_cnt)
	return s.stats, nil
}
