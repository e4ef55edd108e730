// Package live captures packets from Linux network interfaces as packet
// sources (pkt.Source) for the probe engine, the way replay/ reads files
// (design 3.1, 1.4, 1.7, 1.14.1, 1.14.2).
//
// Where it sits: beside replay/, below cmd/tmonbench; it imports only the
// leaf package engine/pkt (kernel filters come compiled, as
// golang.org/x/net/bpf instructions, from engine/filter through
// Config.Filter).
//
// How: one AF_PACKET socket per interface (and per worker) with a
// TPACKET_V3 memory-mapped ring (Config: RingBytes, BlockBytes,
// BlockTimeout, SnapLen). The kernel fills blocks of packets and hands a
// block over when it is full or BlockTimeout old; Next reads packets in
// place (no copy, no allocation) and gives the block back once its last
// packet is no longer borrowed. Timestamps are the kernel's, in
// nanoseconds, taken as a packet enters the stack (SO_TIMESTAMPNS turns
// that stamp on): every socket on the host reads the same one, except for
// packets that carry their sender's delivery time (TCP's pacing time,
// kept across a veth), which each socket stamps as it fills its ring.
// The socket filter is attached before the socket is bound,
// so no packet passes unfiltered; it also cuts packets to SnapLen.
//
// VLAN tags: on receipt Linux moves the outermost VLAN tag out of the
// frame into the socket buffer's metadata (TP_STATUS_VLAN_VALID, with its
// TPID). The source puts it back in place — the 12 address bytes move 4
// bytes down into room reserved with PACKET_RESERVE and the tag goes
// behind them — so frames, lengths and the sieve's `vlan` primitives read
// as a capture taken on the wire would (TestVLANRestoredAndKernelFilter
// compares the frames byte for byte). Kernel filters compiled with
// filter.BPFTarget.KernelVLAN read that tag with ancillary loads.
//
// Loopback: every packet crosses lo twice (sent, then received); the sent
// copy is skipped, as libpcap does.
//
// Several interfaces: packets go to the engine oldest first among those
// the kernel has handed over. With Pair (a passive tap's two monitor
// ports, design 1.14.1) the merge is strict: a packet waits until every
// other interface has a later one, or at most ReorderWindow (by default
// twice the block timeout plus 10 ms), so requests come before their
// replies. The merge cannot give a packet the kernel has not handed over:
// one handed over later than that (a kernel or a reader late under load)
// comes after a later packet, and so can one of the same interface (the
// kernel fills a ring from several CPUs, in the order it writes, not the
// order it stamped). Every packet delivered after a later one is counted
// (Stats.OutOfOrder, capture_stop) and the engine takes it as reordering
// (capture_time_backwards); the merge reads the clocks before it looks at
// the rings, so a reader descheduled in between delivers no packet out of
// order that the kernel had handed over in time.
//
// Workers (design 1.14.2): with Workers > 1 each interface has one socket
// per worker in a PACKET_FANOUT group whose classic BPF program
// (FanoutProgram) returns pkt.PairShard's hash of the unordered IP address
// pair: both directions of a conversation, all fragments of a datagram
// and an FTP session's connections reach the same worker, as replay's
// workers shard. The kernel's own PACKET_FANOUT_HASH would not do:
// fanout_demux_hash (net/packet/af_packet.c) takes
// __skb_get_hash_symmetric, symmetric in direction but over ports too,
// so an FTP session's control and data connections part, and an IPv4
// datagram's later fragments (no ports) part from its first; its
// PACKET_FANOUT_FLAG_DEFRAG reassembles IPv4 in the kernel, so the probe
// would never see the fragments (nor IPv6's, which it leaves alone).
//
// Why `tmonbench live --workers` (and `probe -i --workers`) still read one
// socket per interface and give every packet to probe.Workers: although
// the program above keeps both directions and every fragment of an
// address pair on one socket (TestFanoutWorkers), the workers' tables are
// the same for any N only because they go through one stream in capture
// order: flow, connection and session ids are numbered by the packet's
// ordinal in that stream, then densely by the merge; worker 0 counts the totals (packets, bytes)
// and the non-IP frames, and each malformed packet and anomaly is counted
// by the worker that owns the packet (by its address pair when its
// headers give one, else worker 0); an ICMP error is counted by the worker that
// owns the flow it quotes, whose address pair is not the error's (a
// router's error about A to B comes from the router); and the workers'
// interval closes and PDUs are merged batch by batch in capture order.
// Per-worker sockets give N streams, each in its own order: putting them
// back into one would need a time-ordered merge across the rings, which is
// the one reader again. The fanout path is measured by BenchmarkCaptureRate
// (capture and dissection only).
//
// Health (design 1.7): Stats reads PACKET_STATISTICS (packets, drops, ring
// freezes) and keeps the totals; Inspect reads the MTU and the offloads
// (GRO, GSO, TSO, LRO, checksums) that make a probe see what is not on
// the wire, and says how to turn them off (Info.OffloadAdvice). Errors
// that stop a capture before it starts (no such interface, interface down,
// no CAP_NET_RAW, unsupported link) are one line saying what to do.
//
// Why not gopacket/afpacket: it builds without cgo at the pinned v1.7.7,
// but it does not expose its socket, so a PACKET_FANOUT_CBPF program (the
// pair sharding above) cannot be attached; it binds before the filter is
// set; it puts a stripped VLAN tag back by allocating a new frame per
// tagged packet and drops tags whose TCI is 0 (priority-tagged frames,
// `vlan 0`); and its statistics wrap at 2^32. The ring reader here is
// about 200 lines on golang.org/x/sys/unix.
package live
