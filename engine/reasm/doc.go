// Package reasm reassembles IPv4 and IPv6 fragments into datagrams in the
// probe (design 3.8; RFC 791 §3.2, RFC 8200 §4.5, RFC 5722).
//
// Where it sits: the probe dissects every packet (engine/dissect), counts it
// at IP level in its flows, and hands those with the IsFrag flag to
// Reassembler.Add together with the raw packet. Add returns a Result; when
// Complete, Result.Datagram is a raw IP packet (link header excluded) that
// the probe dissects again (LinkRaw) and passes to the analysers, with
// Result.FirstNs and Result.LastNs, the capture times of the earliest and
// latest fragment (design 3.8: "two timestamps are produced"). Datagrams
// given up arrive through Expire (capture-time timeout, evictions) and
// Flush (end of input) as Incomplete values, which the probe turns into
// incomplete-datagram events (design 3.2); their fragments were already
// counted at IP level. Imports: engine/dissect (and through it engine/pkt).
//
//	dissect ──IsFrag──▶ Add ──Complete──▶ dissect(LinkRaw) ──▶ analysers
//	                     │
//	              Expire/Flush ──Incomplete──▶ probe event
//
// Key: (capture interface, IP version, source, destination, protocol for
// IPv4, identification): design 3.2 keys on interface, address pair and IP
// identifier; RFC 791 §3.2 adds the protocol; RFC 8200 §4.5 keys IPv6 on
// addresses and the 32-bit Fragment Identification only.
//
// Policies (a passive monitor cannot know what the receiver did, so each
// choice is fixed, documented and counted in Stats):
//
//   - Order: fragments may arrive in any order; a context is created by
//     whichever fragment comes first.
//   - Timeout: an IPv4 context lives Config.TimeoutNs (default 30 s,
//     Linux ipfrag_time), an IPv6 one Config.IPv6TimeoutNs (default 60 s,
//     RFC 8200 §4.5 and Linux ip6frag_time), of capture time from its
//     first arriving fragment, not refreshed by later ones (Linux
//     semantics; RFC 791 §3.2 restarts its timer at each fragment's TTL).
//     Contexts are listed per version, so each list is in deadline order
//     and Expire stays a walk from the heads. Time is capture time only:
//     timeouts run on the packets' timer clock (pkt.Meta.Clock: capture
//     time with clock steps taken out, set by the probe), Expire(nowNs)
//     takes that clock, and nothing reads the wall clock; FirstNs and
//     LastNs are the fragments' capture times.
//   - Duplicates: a fragment with the same offset, length and MF flag as
//     one already held is counted (Stats.Duplicates) and ignored: it moves
//     neither the timestamps nor the fragment count. A late copy of a
//     fragment of a datagram reassembled less than its timeout before (same
//     offset, length, MF and bytes) starts a new context, as another
//     datagram reusing the identification would; if that context is given
//     up holding nothing but such copies, it is no failure: it is reported
//     with ReasonLateCopies and its fragments count as Stats.Duplicates
//     (done.go).
//   - IPv4 overlaps: the data received first wins for every byte (the
//     "first" policy of Shankar & Paxson's Active Mapping and Snort frag3;
//     their "bsd" and "linux" policies favour by offset instead, and Linux
//     since 4.19 drops the whole datagram), and the first MF=0 fragment
//     fixes the length: data beyond it is dropped. Counted in
//     Stats.Overlaps. This is what lets the overlapping offset-0 fragment
//     of zeek's fragmented-1 trace fill the hole, as Wireshark does.
//   - IPv4 identification reused (RFC 4963 §2): a fragment with the
//     offset, length and MF of one held but other bytes, or a last
//     fragment whose end differs from the one held, belongs to another
//     datagram with the same key: the datagram held is given up
//     (Incomplete, ReasonReused, Stats.Reused) and the fragment starts a
//     new one (Reassembler.reused). Linux merges them, unless
//     ipfrag_max_dist fragments from the source came in between;
//     Wireshark merges them and flags the conflict.
//   - IPv4 non-last fragments whose length is not a multiple of 8 are
//     trimmed to a multiple of 8, as Linux does (Stats.Unaligned).
//   - IPv6 overlaps: the datagram is discarded (RFC 5722 §4), and so are
//     its later fragments: the context stays, abandoned, absorbing them
//     until it times out, and is reported with ReasonOverlap. A non-last
//     IPv6 fragment whose length is not a multiple of 8 is dropped with
//     ErrMalformed (RFC 8200 §4.5). An atomic fragment (offset 0, M=0,
//     RFC 6946) completes at once.
//   - IPv6 header chain: a first fragment (offset 0) that does not hold
//     every extension header of the fragmentable part and the
//     upper-layer header (RFC 7112 §5, RFC 8200 §4.5; sizes as Linux's
//     ipv6_frag_thdr_truncated: TCP 20, UDP and ICMPv6 8, others 1)
//     abandons its datagram (ReasonShortChain, Stats.ShortChain): Linux
//     drops the fragment and answers with an ICMPv6 Parameter Problem,
//     code 3, so the datagram is never delivered; Wireshark reassembles
//     it.
//   - Truncation: a fragment captured shorter than its IP length (snap
//     length) makes its datagram unrecoverable: the context is abandoned
//     with ReasonTruncated, absorbs the rest of its fragments and is
//     reported Incomplete at its timeout.
//   - Bounds: Config.MaxDatagrams contexts (the oldest is evicted),
//     Config.MaxFragments per datagram, Config.MaxDatagramBytes per
//     datagram (and 65535 for the IPv4 total length and IPv6 payload
//     length). A fragment that would take its datagram beyond them (the
//     "ping of death", zeek#5911) is dropped with ErrTooLong and abandons
//     its datagram (Stats.Oversize): the datagram is reported Incomplete
//     with ReasonTooLong, never as a datagram whose last fragment was not
//     seen, and the probe reports it as ip_reassembly_oversize.
//   - Duplicates and overlaps are reported per fragment in Result
//     (Duplicate, Overlap) so the probe counts them in the datagram's
//     flows (ip_fragment_duplicates, ip_fragment_overlaps) and events.
//
// Memory: context slots are reused with their buffers, so once warmed up
// Add, Expire and Flush do not allocate. A slot's buffer keeps the size of
// the largest datagram it held; the memory retained is at most
// MaxDatagrams × MaxDatagramBytes for the datagrams in progress, plus, for
// as many reassembled ones kept for their late copies, about 24 bytes per
// fragment (offsets and a hash of the payload: a reassembled context gives
// its buffer to the next one).
//
// gopacket's ip4defrag and ip6defrag were not used: they keep no first/last
// fragment timestamps, report no incomplete datagrams, and allocate per
// fragment.
package reasm
