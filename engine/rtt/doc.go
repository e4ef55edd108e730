// Package rtt is the round-trip delay analysis "rtt" (design 3.11, 3.12,
// 3.14): it matches requests with their responses in the packets of the
// flow classes that ask for it, and reports each pair as an rtt_samples
// row and, per interval, as rtt_histograms slices.
//
// Where it sits: rank 3, an analyser. Input is *dissect.Dissection (the
// probe calls Tracker.Packet with the packet's flow id in the analysing
// class); output is observe.RTTSample and observe.RTTHistogram rows given
// to callbacks, and their wire codec (AppendSample, DecodeSample,
// AppendHistogram, DecodeHistogram) on pdu.Enc/pdu.Dec. Time is capture
// time only: request_time is the request's Meta.TimeNs; round trips and
// timeouts run on the timer clock (Meta.Clock: capture time with the
// capture's clock steps taken out by the probe), which the nowNs
// arguments are. A response stamped before its request (a reordered
// capture), or with a clock step between them, gives no sample, counted in
// Stats.Unmeasured: an RTT is never negative and never spans a step. So
// does a pair of which one packet has no capture time of its own
// (Meta.TimeBorrowed: a pcapng Simple Packet Block took the previous
// packet's time): it is matched as any other (Requests, Responses, and
// its request is answered: no Orphans or Duplicates later), never timed.
//
//	dissect.Dissection -> Tracker.Packet -> emit(*RTTSample)      rtt_samples
//	                                     -> Observe -> CloseInterval  rtt_histograms
//	capture time       -> Tracker.Expire -> unanswered(kind, flow)
//
// # Matching rules
//
// The protocol is recognised from the packet: no configuration of ports.
//
//   - icmp_echo: ICMP echo request (type 8) -> echo reply (0), ICMPv6 128 ->
//     129 (RFC 792, RFC 4443 §4.1-4.2), keyed by addresses, identifier and
//     sequence number. Detail "echo id N seq M".
//   - dns: UDP or TCP with port 53, decoded with gopacket layers.DNS (RFC
//     1035 §4.1). Query (QR 0) -> response (QR 1) keyed by 4-tuple, IP
//     protocol, DNS id and the first question (name without ASCII case,
//     type, class); a response with no question (QDCOUNT 0, as some
//     servers send FORMERR or REFUSED) answers the latest query of its
//     4-tuple and id, as Wireshark and Zeek pair by id. Over TCP (RFC 1035 §4.2.2, RFC 7766 §6.2.1, §8) each
//     direction is reassembled in sequence order and split on the 2-byte
//     length prefix: several messages in one segment and one message over
//     several segments are both handled, and a message is timed by the
//     segment that completes it (as tshark's dns.time). Segments past a
//     hole are held until it fills (reordering: timed by the segment
//     that fills it, as tshark's dns.time with
//     tcp.reassemble_out_of_order); bytes the capture missed (the
//     receiver acknowledges past them) drop the incomplete message
//     (Stats.StreamGaps), and the stream is read again from the next
//     segment that starts a message (a plausible length and header), as
//     is a stream first seen mid-connection (dnstcp.go). Only the header
//     and questions are decoded; RCODE is the header's 4 bits (tshark's
//     dns.flags.rcode). Detail "QTYPE qname RCODE", plus " TC" when the
//     response is truncated, e.g. "A www.example.com NOERROR".
//     Multicast DNS (UDP 5353, RFC 6762) and LLMNR (UDP 5355, RFC 4795)
//     are not matched, only counted (Stats.LinkLocalDNSNotTimed): a query
//     goes to a multicast group and may get no answer by design (no
//     responder has the name; RFC 4795 §2.1.1: non-authoritative
//     responders stay silent; RFC 6762 §7.1: known answers suppress
//     responses) or several, from addresses it did not go to; an mDNS
//     multicast response has ID 0 and no question (RFC 6762 §6, §18.1),
//     so it names no query, and announcements (§8.3) answer none.
//     Matched as unicast DNS they would be unanswered requests and
//     orphans, not round trips. tshark 4.0 pairs none of them either
//     (every response dns.unsolicited, no dns.time).
//   - snmp: UDP with port 161 or 162, v1 and v2c (RFC 1157 §4.1, RFC 3416
//     §4.2) and v3 with a scoped PDU in clear (noAuthNoPriv, authNoPriv;
//     RFC 3412 §6), the PDU header read by hand: the variable bindings
//     are not decoded, so a wrongly encoded value does not hide a
//     response, and a message cut by the snap length is timed while its
//     request-id is there.
//     GetRequest, GetNextRequest, SetRequest, GetBulkRequest and
//     InformRequest -> Response keyed by 4-tuple and request-id, as
//     Wireshark's snmp.time. Encrypted v3 PDUs are ignored; traps and v3
//     Report PDUs give no sample (Wireshark times Responses only), but a
//     Report answers its request (RFC 3411 §2.8, Response Class; the
//     engine discovery of RFC 3414 §4): not unanswered. Detail
//     "get-request v2c" ("v1", "v3"), plus the error-status name when
//     not noError ("get-request v1 noSuchName").
//   - ntp: UDP with port 123, decoded with gopacket layers.NTP (RFC 5905
//     §7.3): client mode 3 -> server mode 4 whose origin timestamp equals
//     the request's transmit timestamp (RFC 5905 §8), 4-tuple included.
//     A reply in the interleaved mode (RFC 9769 §2, chrony's xleave),
//     whose origin echoes the request's receive timestamp, pairs too
//     (Stats.NTPInterleaved; detail suffix " interleaved"). Symmetric
//     (modes 1, 2: the passive peer sends on its own poll timer, so the
//     gap is no round trip), broadcast (5), control and private modes
//     are not matched, never unanswered (Stats.NTPNotTimed), as tshark's
//     ntp.delta_time. Detail "v4 stratum 8"; a Kiss-o'-Death reply
//     (stratum 0, RFC 5905 §7.4) adds its kiss code: "v4 stratum 0 kiss
//     RATE".
//   - tcp_handshake: SYN -> the first SYN-ACK acknowledging its ISN (RFC
//     9293 §3.5), timed from the latest SYN copy before that SYN-ACK, as
//     every retransmitted request here (Karn's rule, RFC 6298 §3: a
//     retransmission timeout is no round trip), so the sample equals
//     tcp_connections.handshake_rtt_ms unless the client sent a SYN after
//     that SYN-ACK (the SYN-ACK lost beyond the probe: the sample stays
//     the first pair, handshake_rtt_ms restarts at that SYN), and
//     handshake_syn_synack_ms (from the first SYN, as the lab's ground
//     truth handshake_syn_to_synack_us) when the SYN was not sent again.
//     A SYN copy after the SYN-ACK counts in Stats.Retransmits and in the
//     detail only. tshark's tcp.analysis.initial_rtt also starts at the
//     latest SYN but ends at the handshake's ACK. A SYN sent again with the
//     same ISN after a RST/ACK acknowledging it (RFC 9293 §3.10.7.3: the
//     connection was refused; Windows retries so) is a new attempt, timed
//     from itself, as tcp_connections starts a new row for it. A SYN carrying data (TCP Fast
//     Open, RFC 7413 §4.2; zeek#664) is answered by a SYN-ACK acknowledging
//     ISN+1+len (data accepted) or ISN+1 (cookie only): both pair. Of
//     SYN-ACKs with different server ISNs answering one SYN (zeek#3313:
//     stray SYN-ACKs, before or after the real one), the sample ends at the
//     first SYN-ACK of the ISN the client's ACK names (ACK = ISN+1; up to 3
//     other ISNs are remembered), as tcp_connections does
//     (tcpconn's followAcked): the sample waits for the client's next
//     segment, the server's data, FIN or RST (then the first SYN-ACK), or
//     the end of the interval or capture (then the first SYN-ACK too), so
//     it stays in its SYN-ACK's interval. Detail "syn", or "syn xN" after N
//     SYN copies.
//   - tcp_ts: RTTM of RFC 7323 §4 seen from the probe: the first time each
//     advancing TSval of a direction is seen, and the first segment of the
//     other direction (ACK set) echoing it in TSecr, give one sample; later
//     echoes of the same value and values the echoes skipped give none. A
//     TSecr beyond the other side's latest TSval (RFC 1982 order), such as
//     0 in an ACK while the TSvals are at or above 2^31, echoes nothing
//     that side sent (RFC 7323 §4.3) and skips nothing.
//     The sample's client is the side that sent the TSval, its server the
//     side that echoed it, so the RTT is from the probe to that host and
//     back, its ACK delay included. At most Config.MaxTSvals (default 32)
//     TSvals per direction await their echo; while that many wait, new
//     ones are not timed. A retransmission that reuses a TSval is timed
//     from the TSval's first appearance. Detail "tsval N". This is not
//     tshark's tcp.analysis.ack_rtt (sequence/ACK based, no timestamps).
//     A SYN or SYN-ACK without the option turns timestamps off for the
//     connection (not negotiated, RFC 7323 §3.2: later TSopts are
//     ignored), also when the segment with the option comes first to a
//     tuple not followed (a SYN without it is remembered until its
//     handshake is over, tsneg.go); a SYN with a new ISN starts the
//     tuple's TSvals afresh.
//
// Retransmitted requests (the same key while pending) are paired by their
// latest copy: the response is timed from the last request copy seen
// before it, as tshark does for ICMP and SNMP and as the lab's independent
// matcher does (shared/lab/README.md §4). Only the first response to a
// request is paired; a further one counts in Stats.Duplicates, except the
// later messages of a zone transfer over TCP (AXFR, IXFR: RFC 5936 §2.2),
// responses of the same transaction. A request
// whose key was already answered starts a new transaction.
//
// Known difference with tshark: tshark's two-pass SNMP analysis keys
// transactions by request-id alone and lets a retransmitted request
// replace an already answered one, so when a response was lost after the
// probe, the first (request, response) pair disappears from snmp.time
// (summary.json responses_not_paired_by_tshark). The Tracker works in one
// pass and keeps that pair, a true round trip at the probe; the lab tests
// check that exactly those pairs are extra. tshark's DNS analysis times a
// retransmitted query (within 5 s, unanswered) from its first copy; the
// Tracker from the latest (no such query in the reference captures).
// tshark 4.0 pairs DNS by id alone: two queries with one id and different
// questions (glibc's parallel A and AAAA may share a socket) are taken as
// a query and its retransmission, and the first response is timed from
// the first query whatever its question; the Tracker pairs each response
// with the query of its question (RFC 5452 §3: a resolver accepts a
// response whose question matches the query's).
//
// # Unanswered requests and bounds
//
// Expire(nowNs) reports requests older than Config.TimeoutNs that got no
// response, by kind and request flow id, and forgets answered ones kept
// to recognise duplicate responses; it scans its tables at most every
// TimeoutNs/10 of capture time, so it can be called for every packet.
// Flush reports all at the end of the capture. Every table is bounded (MaxPending, MaxConns, MaxStreamBytes,
// MaxHistograms); what does not fit is counted in Stats. A full pending
// table forgets its answered requests before it refuses a new one (a
// duplicate response to one then counts as an orphan: AnsweredForgotten):
// answered requests are kept TimeoutNs, which filled the table at
// MaxPending/TimeoutNs requests a second.
//
// # Histograms
//
// Each sample is added to the histogram of its (request flow, kind) in
// the current interval, one stat.Stat (n, sum, sumsq, min, max of rtt_ms;
// design 1.11) per slice of Config.SlicesMs (design 3.14: default <2,
// 2-10, 10-50, >50 ms). CloseInterval emits one row per non-empty slice.
// A handshake's sample counts in the interval of the SYN-ACK its client's
// ACK names; while one of the closed interval's handshakes awaits that
// ACK, the interval's rows wait for the next CloseInterval.
//
// # Cost
//
// Once its tables have grown, the Tracker does not allocate for ICMP echo,
// TCP, DNS, SNMP and NTP packets, nor in Expire, Flush and CloseInterval. Emitted
// samples and histogram rows borrow the Tracker's memory until emit
// returns (CloneSample copies a sample).
package rtt
