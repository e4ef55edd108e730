package live

import "golang.org/x/net/bpf"

// skfNetOff is SKF_NET_OFF (linux/filter.h): absolute loads at this base
// read relative to the network header, wherever the frame starts (a
// fanout program runs on received frames whose data starts at the
// network header, and on sent frames that start at the link header).
const skfNetOff = 0xfff00000 // -0x100000 as uint32

// FanoutProgram is the classic BPF program of the PACKET_FANOUT_CBPF group
// that spreads an interface's packets over the workers: it returns the
// pkt.PairShard hash of the packet's IPv4 or IPv6 address pair (before the
// modulo, which the kernel takes with the number of sockets in the group)
// and 0 for other packets (ARP, and frames whose network protocol is a
// VLAN tag, MPLS label or PPPoE session header the kernel left in the
// frame: all of them go to one worker), so every packet of an address
// pair, both directions, reaches the same worker.
func FanoutProgram() []bpf.Instruction {
	ld := func(off uint32) bpf.Instruction { return bpf.LoadAbsolute{Off: skfNetOff + off, Size: 4} }
	xor := bpf.ALUOpX{Op: bpf.ALUOpXor}
	// IPv4: source ^ destination.
	v4 := []bpf.Instruction{ld(12), bpf.TAX{}, ld(16), xor}
	// IPv6: the XOR of the 8 words of both addresses.
	v6 := []bpf.Instruction{ld(8)}
	for off := uint32(12); off < 40; off += 4 {
		v6 = append(v6, bpf.TAX{}, ld(off), xor)
	}
	// mix: pkt.ShardMix.
	mix := []bpf.Instruction{
		bpf.ALUOpConstant{Op: bpf.ALUOpMul, Val: 0x9E3779B1},
		bpf.ALUOpConstant{Op: bpf.ALUOpShiftRight, Val: 16},
		bpf.RetA{},
	}
	p := []bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtProto},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x0800, SkipFalse: uint8(len(v4) + 1)},
	}
	p = append(p, v4...)
	p = append(p, bpf.Jump{Skip: uint32(len(v6) + 1)})
	p = append(p, bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x86dd, SkipFalse: uint8(len(v6) + len(mix))})
	p = append(p, v6...)
	p = append(p, mix...)
	return append(p, bpf.RetConstant{Val: 0})
}
