package pkt

import (
	"encoding/binary"
	"net/netip"
)

// PairShard is the worker that owns the packets between addresses a and b
// when n workers share a capture (design 1.14.2): a symmetric hash of the
// unordered address pair, so that both directions of a conversation, all
// fragments of a datagram, an FTP session and its data connections, and a
// request and its reply land on the same worker. The hash XORs the 32-bit
// big-endian words of both addresses (symmetric by construction), spreads
// the result by a Fibonacci multiplication (x * 0x9E3779B1 mod 2^32) and
// takes bits 16-31 modulo n. live's PACKET_FANOUT program computes the
// same value in the kernel (live.FanoutProgram), so live and replay shard
// alike. Addresses that are not both IPv4 or both IPv6 (and n <= 1) give 0.
func PairShard(a, b netip.Addr, n int) int {
	if n <= 1 {
		return 0
	}
	var x uint32
	switch {
	case a.Is4() && b.Is4():
		a4, b4 := a.As4(), b.As4()
		x = binary.BigEndian.Uint32(a4[:]) ^ binary.BigEndian.Uint32(b4[:])
	case a.Is6() && b.Is6():
		a16, b16 := a.As16(), b.As16()
		for i := 0; i < 16; i += 4 {
			x ^= binary.BigEndian.Uint32(a16[i:]) ^ binary.BigEndian.Uint32(b16[i:])
		}
	default:
		return 0
	}
	return int(ShardMix(x) % uint32(n))
}

// ShardMix spreads the XOR of a pair's address words (PairShard).
func ShardMix(x uint32) uint32 { return (x * 0x9E3779B1) >> 16 }
