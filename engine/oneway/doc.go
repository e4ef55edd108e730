// Package oneway is the one-way analysis "oneway": per-packet one-way delay
// and loss of a flow across the capture points of its path (design 1.2,
// 1.3, 3.7, 3.8, 4.3, 7; RFC 7679 one-way delay, RFC 7680 one-way loss;
// the per-packet delays allow RFC 3393 delay variation downstream).
//
// Where it sits: rank 3, an analyser. The probe side signs packets
// (Signer) and packs per-packet observations into the records of
// pdu.TypePacketObs PDUs (Encoder); the collector side decodes them
// (Decode) and reconciles the observations of every capture point
// (Reconciler), emitting observe.OnewayDelay, observe.OnewayLatency and
// observe.OnewayLoss rows through callbacks. Time is capture time only:
// packet timestamps, PDU build times (Advance) and Flush.
//
//	probe:     dissect(+reasm) -> Signer.Sign -> Encoder.Add ... Encoder.Flush -> PDU records
//	collector: PDU records -> Decode -> Reconciler.Observe/Advance/Drop -> rows
//
// A class's `oneway:` block is Config (hops in path order, latency pair
// and slices, signature_bits, mask, timeout_s, records, clock_offset_us);
// Validate rejects a field that is both masked and a granularity
// field (a field a hop rewrites cannot identify the one-way flow).
//
// # Signatures (design 1.2, 3.7)
//
// XXH3-64 (github.com/zeebo/xxh3) of the IP datagram from its first byte
// to the IP total length (link padding excluded), masked fields set to
// zero, low signature_bits bits kept. Always masked: TTL/hop limit and the
// IPv4 header checksum. On request: tos, ip_id, ip_options (the bytes,
// not their length), flow_label, src_addr, dst_addr, src_port and
// dst_port (TCP/UDP ports, and the ICMP/ICMPv6 echo identifier, which
// Linux NAT rewrites like a port), l4_checksum (TCP, UDP, ICMP, ICMPv6:
// they change with NATed addresses and ports). Fragments are signed after
// reassembly (engine/reasm: the datagram's header has MF and offset
// cleared and the full length), so the signature is the same whether the
// datagram was fragmented before, between or after the hops; the
// observation then carries the first and last fragment times (design
// 3.8). Not masked (a hop changing them breaks the match): TCP sequence
// numbers rewritten by an ALG, IPv6 extension headers, the quoted header
// of ICMP errors rewritten by NAT.
//
// # Observation records (design 1.3: every bit is meaningful)
//
// One record per flow and PDU, decodable on its own (PDUs may be lost or
// reordered). The Encoder buffers a PDU's observations, then chooses each
// block's parameters so that the block is smallest, and fills the PDU to
// its size (observations that do not fit wait for the next PDU). Times
// are in the record's unit: the coarsest of 1 µs, 100 ns, 10 ns and 1 ns
// in which all its times are whole, down to EncoderConfig.TimeUnitNs
// (oneway.time_unit_ns; default 1 ns): a capture stamped in µs is sent in
// µs at no extra cost, one with nanosecond digits in ns, so a 2.321 µs
// delay between two interfaces reads 2.321 µs (with a unit of 1000, times
// are floored to the µs and a delay is within 1 µs of the truth). Header,
// byte-aligned:
//
//	uvarint  flow id (the probe's, pdu.FlowDef)
//	uvarint  n, observations in the block (>= 1)
//	byte     bits 0-5: signature_bits-1; bits 6-7: size mode
//	         (0 none, 1 constant, 2 coded, 3 repeat-or-coded)
//	byte     bits 0-4: kt, exp-Golomb order of the time residuals;
//	         bit 5: fragment spans present; bits 6-7: the unit u
//	         (0: 1 µs, 1: 100 ns, 2: 10 ns, 3: 1 ns)
//	uvarint  t0: time of the first observation, in u since the epoch
//	varint   p: predicted gap, in u (the block's median gap)      if n > 1
//	byte     ks, exp-Golomb order of the spans                      if spans
//	uvarint  size (mode 1) or minimum size m (modes 2, 3)           if mode > 0
//	byte     kz, exp-Golomb order of the sizes                      if mode 2, 3
//
// then a bit stream, most significant bit first, zero-padded to a byte:
//
//	per observation i:
//	  EG_kt(zigzag(gap_i - p))  gap_i = t_i - t_(i-1) in u           if i > 0
//	  signature                 exactly signature_bits bits
//	  EG_ks(t_i - first_i)      last minus first fragment time, u    if spans
//	  EG_kz(size_i - m)                                              if mode 2
//	  0 | 1 EG_kz(size_i - m)   0: same size as the previous one     if mode 3
//
// EG_k(v) is the exponential-Golomb code of order k (v + 2^k written on
// its nb significant bits, preceded by nb-1-k zeros): it is as short as a
// Rice code on the bulk of a distribution and still short on its tail,
// which matters here: at A the sender's gaps are 2000 µs ± 1 µs for half
// the packets but up to 2 ms off for 1 %, at B the queue makes them
// bimodal. Residuals against the block's median gap cost 5.4 bits at A and
// 10 bits at B (Rice codes of the same residuals: 8.8 and 11.4; plain
// deltas: 12.1 and 12.2; measured offline on the tshark timestamps of the
// same captures, blocks of 250). Sizes are sent by every hop: a constant-size flow (the usual
// real-time stream) costs no bit per packet (mode 1), and a flow whose
// sizes vary pays ~10.5 bits per packet, which then buy discrimination:
// the reconciler never joins observations of different sizes, so on the
// lab flow 16 signature bits plus the size separate packets as ~25 bits
// would, and a packet seen only downstream still gets its size.
//
// Measured on testdata/lab/oneway-udp (5000 datagrams, mean IP
// length 522.8 bytes, 500 packets/s; 1400-byte PDUs, the 26-byte frame
// overhead included; TestLabOverhead, `go test ./engine/oneway -run
// Overhead -v`), PDU bytes per packet and share of the observed IP bytes,
// times in whole µs (time_unit_ns 1000) and in the captures' own ns (their
// nanosecond digits are noise to a coder: about 10 bits more per packet):
//
//	signature_bits   at A (5000 pkts)      at B (4941 pkts)
//	µs times
//	32               6.23 B   1.19 %       6.82 B   1.31 %
//	24               5.19 B   0.99 %       5.79 B   1.11 %
//	16               4.16 B   0.80 %       4.78 B   0.92 %
//	100 ns times (time_unit_ns 100)
//	16               4.58 B   0.88 %       5.14 B   0.98 %
//	ns times
//	32               7.52 B   1.44 %       8.10 B   1.55 %
//	24               6.48 B   1.24 %       7.08 B   1.36 %
//	16               5.44 B   1.04 %       6.05 B   1.16 %
//
// With ns times every width pays 1.26-1.30 B a packet over µs (log2(1000)
// bits is 1.246 B: the delta coding is at the digits' entropy; the test
// bounds it at 1.30 B). 1 ns stays the default (carry the capture's
// resolution, issue 15.12); 100 ns or µs keep 16 bits within 1 %.
// No lossless code that decodes each PDU on its own does better with ns
// times here: per packet, the entropies measured on the captures (sizes
// 9.9 bits, µs gaps 4.9-5.2 bits at A and 8.8-9.3 at B, ns digits 9.97)
// plus the 16 signature bits and ~1.1 bits of framing make ~42 bits at A
// and ~46 at B, against the 41.8 bits of 1 % of 522.8 B. Sending sizes
// from one hop only would spare that hop ~10.5 bits but not the other,
// and costs matches: with sizes at A only, 2 of the 5000 packets match
// the wrong record (TestLabUDPCollisions).
//
// 32 bits cannot reach 1 % on this flow: at B the signature (4 B) and the
// time (10 bits) alone exceed the 5.23 B that 1 % of 522.8 B allows, even
// without sizes. 16 bits with µs times do, at both points, and are the
// recommended setting for flows of packets this small when µs delays are
// enough (samples/oneway-lab.yaml); with the sizes in the match,
// they matched all 5000 packets right (TestLabUDPCollisions; without sizes
// at B, 4999 of 5000). For constant-size flows of larger packets, 24 or 32
// bits fit. Encoding costs ~300 ns per observation, 0 allocations
// (BenchmarkEncode).
//
// # Matching rules (design 4.3)
//
// The Reconciler keeps every open packet record of a class in two B-trees
// (github.com/google/btree): by (flow, signature, reference time) for
// matching, and by reference time for classification. The reference time
// is the earliest hop time of the record (clock offsets subtracted). An
// observation at hop h and time t scans the records of its flow and
// signature with a reference time within t ± timeout, and joins the one
// that lacks hop h, has no different size, and whose nearest seen hop (in
// path order) has the time closest to t once the flow's current delay
// between the two hops (that of its latest match there) is counted; a
// causal candidate (upstream earlier, downstream later) always beats a
// non-causal one, which is only taken when nothing else fits (clock
// offsets). Before the flow's first match across two hops, the earliest
// candidate wins (first in, first out): identical packets sent closer
// together than their delay are each paired with their own copy
// (TestIdenticalPacketsFirstInFirstOut), where the closest time alone
// paired the first copy at B with the last at A. No causal candidate: the
// observation takes the place of another one at its hop in a record whose
// other hops it fits better, the flow's current delay being known, when
// that one misses it by more than DupWindowS (the observations of a hop
// reaching the collector after those of the next one, after a restart or
// retransmissions: a downstream observation joined the only record of its
// signature lacking it, another packet's; TestLateUpstreamTakesItsMatch,
// TestLateUpstreamCrossedPair), and the displaced observation is matched
// again; else the non-causal candidate, or a new record. Signature
// collisions are therefore resolved by size and time, never by dropping
// both packets; when a record is classified, the other
// open records with its signature are examined: one seen at a strict
// subset of its hops, with the same size and within DupWindowS (20 ms) of
// it at each of those hops, holds extra copies of the packet and is
// folded into it as duplicates; one that saw hops it lacks and, at the
// hops both saw, was within DupWindowS of it holds the rest of the packet
// (a copy came first and started a record that another hop's observation
// joined: a copy at the last of 3+ hops, its PDU ahead of the others';
// TestCopyAtLastHopSplitsNoPacket): the packet takes its hops over and
// counts its copies as duplicates; any other is a different packet, and
// both are counted as collisions (Stats.Collisions,
// oneway_loss.collisions).
// ~790 ns per observation, 0 allocations (BenchmarkReconcile).
//
// # Classification rules (design 4.3)
//
// A record is classified once every hop's clock (Advance: the build time
// of its probe's latest PDU, offset subtracted) has passed its reference
// time plus timeout_s: a silent probe holds every record open (up to
// Limits.MaxRecords, then the oldest is classified early: Stats.Evicted)
// for Limits.SilentS of capture time at most (the collector's: timeout_s
// + interval_s + max_build_s + final_timeout_s). Past that wait, another
// hop's clock that far ahead of the silent hop's latest report, the
// records and intervals are closed as if the silent hop had reported up
// to that clock less SilentS, a packet due there after its latest report
// counting dropped, unreported (Stats.SilentHops, once per silence;
// event oneway_hop_silent); an observation of that hop arriving later is
// late (Stats.Late).
// A packet is delivered when seen at every hop; dropped when a missing
// hop is covered by a Drop notice (the probe gave up the PDU holding the
// observation: Summarize tells the transport what to declare, Dropped and
// AppendDropped carry it) or its probe had ended its run before the packet
// reached it (EndProbe: the time seen upstream plus the flow's delay is
// past the probe's last report; nobody watched), or between two runs of
// its probe (Resume: from the killed run's latest report less
// Limits.MaxBuildS, an observation waiting up to max_build_s for its PDU,
// TestKilledRunReportedLessMaxBuild); the delay is that of the flow's latest packet
// classified across the two hops, the delay at the packet's time, not its
// latest match's, which may be a collision's that a late upstream
// observation undoes (TestGapJudgedByClassifiedDelay: a collector
// restart, the far probe's reports first, counted lost 157 packets
// tcpdump saw delivered in a killed probe's gap); lost when not seen at
// the last hop (located
// after the last hop that saw it: Packet.LostAfter); missed otherwise
// (seen at the end, missing upstream). Each hop pair (every consecutive
// pair, the end-to-end pair and the latency pair) gets, per packet: sent
// if seen at from_hop; delivered (with the delay) if seen at both; lost
// if seen at from_hop and neither at to_hop nor after it; missed if seen
// at to_hop but not at from_hop, or at from_hop and after to_hop but not
// at to_hop; dropped as above; duplicates for extra copies at to_hop.
// Delays use the last fragment times (oneway_delays.send_time); the first
// fragment times are in Packet (Output.Packet). A delay below zero after
// clock offsets is kept as is and counted (Stats.NegativeDelays).
//
// Intervals (Limits.IntervalS, aligned on the epoch) hold the packets by
// their time at from_hop (at to_hop when unseen there); an interval is
// emitted (OnewayLatency: n/sum/sumsq/min/max of delay_us, p50/p90/p99
// the nearest ranks, the ⌈q·n⌉-th smallest delays, read from an
// HdrHistogram of ns with 2 significant digits: at most 0.79 % above,
// never below, within min and max; counts per slice with
// inclusive upper bounds; OnewayLoss) once its end plus the timeout is
// behind every hop's clock, so late observations still count (design 4.3:
// slots kept open). An observation arriving after its timeout has passed
// everywhere is counted in Stats.Late; it still makes a record.
//
// # Flow ends (Limits.IdleS)
//
// A one-way flow ends as its probe flows do: after Limits.IdleS (the
// collector gives its class's idle_timeout_s) of capture time without an
// observation. An observation later than that belongs to a new flow of
// the same key: Observe returns false and the collector gives the probe
// flow a new id, named as before (the flows table numbers a flow back
// after idle_timeout_s anew the same way), and tells the reconciler which
// flow follows the ended one (Renewed). The end, once set, stays, so
// another hop's observations up to it, reported later, still join the
// old flow; one matching no record there but an open record of the
// following flow joins that record: a packet's time past the end at a
// downstream hop, reported first, and before it upstream (its delay
// later), is one packet of the new flow, not a lost one and a missed one
// (TestEndSplitsNoPacket). A flow without open records, intervals or drop notices is
// freed once every hop has reported (its clock, or its run's end) past
// its end plus the timeout (checked once an interval of capture time,
// never while records are classified early); the collector then forgets
// its id. The flows freed are counted (Stats.FlowsExpired, flows_expired
// in the collector's oneway_totals event). TestOnewayFlowsFreedWhenIdle
// (engine/collector).
//
// # Repeated observations
//
// A live probe never reports an observation twice; a probe restarted on
// the capture it was replaying (a new run, from its start), a capture
// replayed twice or a spool resent after a restart do. An observation of
// a later run of the hop's probe (Resume), up to the earlier runs' latest
// observation there, with the flow, hop, signature, size and first and
// last times of one an open record holds is that observation again,
// neither a packet nor a copy of one: Stats.Repeats, ignored. Within one
// run the receiver drops repeated PDUs, so an equal observation there is
// a real copy (a SPAN port mirroring both directions within the time
// unit): a duplicate (RFC 7679 §3.7, RFC 7680; TestSameTimeCopyIsADuplicate).
// A classified record keeps nothing, so after Resume (a new run of a hop's
// probe) an observation at that hop up to the time its earlier runs had
// reported through (the hop's clock then, its probe's last report if it
// had ended, at most its latest observation) that joins no open record
// repeats one whose packet was classified and written:
// Stats.RepeatsClassified, ignored (as a record it would be a second,
// lost, packet). The new run's later observations are new packets, as a
// live probe's always are. Both reach the collector's oneway_totals
// event. Tested on oneway-udp, A killed after 5, 8, 9 and 15 s of its
// realtime replay and restarted on the same capture: per 10 s interval
// the truth's 3769 sent, 3723 delivered, 46 lost and 1231, 1218, 13
// (TestLabUDPProbeRestartReplays; before: 3791 sent, 68 lost with the
// kill at 5 s). Limit: an observation of the earlier run's last,
// undelivered PDU captured before the hop's clock (one that did not fit
// its predecessor) whose packet no other hop saw is taken for a repeat.
//
// Tested on the lab captures with their ground truth: oneway-udp A->B
// (every delay within 1 µs, 59 lost exactly, no false match), A, RC, RS,
// B (per-segment delays, losses located between RC and RS), oneway-icmp
// requests A->B and replies B->A through the NAT, frag (reassembled
// datagrams sign alike at A and B in both fragment geometries; first and
// last fragment delays within 1 µs).
package oneway
