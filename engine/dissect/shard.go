package dissect

import (
	"encoding/binary"
	"net/netip"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// ShardMul is the multiplier of the shard hash (Fibonacci hashing: 2^32
// divided by the golden ratio).
const ShardMul = 0x9E3779B1

// ShardOfAddrs returns the worker, among n, that owns the unordered address
// pair {a, b} (issue 14: every packet between two hosts, both directions,
// fragments, FTP data connections and request/response pairs, goes to one
// worker). The rule, the same for the in-process workers and a kernel
// PACKET_FANOUT_CBPF program:
//
//	x = XOR of the big-endian 32-bit words of both addresses
//	    (IPv4: a^b; IPv6: the eight words of a and b)
//	h = uint32(x * 0x9E3779B1)
//	shard = (h >> 16) % n
//
// XOR makes it symmetric; cBPF computes it with ld, xor x, mul, rsh, mod.
// Invalid addresses count as zero words; n <= 1 gives 0.
func ShardOfAddrs(a, b netip.Addr, n int) int {
	if n <= 1 {
		return 0
	}
	x := words(a) ^ words(b)
	h := x * ShardMul
	return int((h >> 16) % uint32(n))
}

func words(a netip.Addr) uint32 {
	switch {
	case a.Is4():
		b := a.As4()
		return binary.BigEndian.Uint32(b[:])
	case a.Is6():
		b := a.As16()
		return binary.BigEndian.Uint32(b[0:]) ^ binary.BigEndian.Uint32(b[4:]) ^ binary.BigEndian.Uint32(b[8:]) ^ binary.BigEndian.Uint32(b[12:])
	}
	return 0
}

// Shard returns the worker, among n, of a dissected packet: the shard of
// its first IP header's address pair (ShardOfAddrs); frames without IP go
// to worker 0. An ICMP error also concerns the flow it quotes: QuotedShard.
func (d *Dissection) Shard(n int) int {
	if d.Flags&HasIP == 0 {
		return 0
	}
	return ShardOfAddrs(d.SrcAddr, d.DstAddr, n)
}

// QuotedShard returns the worker of the packet an ICMP error quotes, and
// false when d quotes none (HasInner unset).
func (d *Dissection) QuotedShard(n int) (int, bool) {
	if d.Flags&HasInner == 0 {
		return 0, false
	}
	return ShardOfAddrs(d.InnerSrcAddr, d.InnerDstAddr, n), true
}

// PeekShard returns the worker, among n, that Shard gives a TCP or UDP
// packet, read from its link and IP headers without dissecting it, or -1
// when it does not say: a link other than Ethernet or Linux cooked, MPLS,
// PPPoE, a short frame, a version other than the EtherType's, another
// protocol (an ICMP error also concerns the worker of the packet it
// quotes), IPv6 extension headers. When it says s >= 0 and Dissect
// accepts the packet, Shard(n) is s and HasInner is unset
// (TestPeekShardAgrees): a worker other than 0 skips the dissection of
// the packets another worker owns (probe.shard.skips).
func PeekShard(data []byte, lt pkt.LinkType, n int) int {
	// Untagged IPv4 over Ethernet first, most packets: its bounds checked
	// once (on the 5 M corpus 60 instructions a packet before, issue 14).
	if lt == pkt.LinkEthernet && len(data) >= 34 && data[12] == 0x08 && data[13] == 0x00 &&
		data[14]>>4 == 4 && (data[23] == ProtoTCP || data[23] == ProtoUDP) {
		if n <= 1 {
			return 0
		}
		x := binary.BigEndian.Uint32(data[26:]) ^ binary.BigEndian.Uint32(data[30:])
		return int((x * ShardMul >> 16) % uint32(n))
	}
	switch lt {
	case pkt.LinkEthernet, pkt.LinkLinuxSLL, pkt.LinkLinuxSLL2:
	default:
		return -1
	}
	off, proto := etherHeader(lt)
	if len(data) < off {
		return -1
	}
	etype := binary.BigEndian.Uint16(data[proto:])
	for etype == etherVLAN || etype == etherQinQ || etype == etherQinQ2 {
		if len(data) < off+4 {
			return -1
		}
		etype = binary.BigEndian.Uint16(data[off+2:])
		off += 4
	}
	h := data[off:]
	var x uint32
	switch {
	case etype == etherIPv4 && len(h) >= 20 && h[0]>>4 == 4 && (h[9] == ProtoTCP || h[9] == ProtoUDP):
		x = binary.BigEndian.Uint32(h[12:]) ^ binary.BigEndian.Uint32(h[16:])
	case etype == etherIPv6 && len(h) >= 40 && h[0]>>4 == 6 && (h[6] == ProtoTCP || h[6] == ProtoUDP):
		for i := 8; i < 40; i += 4 {
			x ^= binary.BigEndian.Uint32(h[i:])
		}
	default:
		return -1
	}
	if n <= 1 {
		return 0
	}
	return int((x * ShardMul >> 16) % uint32(n))
}
