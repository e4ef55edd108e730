// Package tcpconn follows TCP connections (analysis "tcp"; design 1.4, 3.6,
// 3.11; RFC 793/9293, RFC 7323) and reports one row of tcp_connections
// (observe.TCPConnection) per connection.
//
// Where it sits: rank 3 (an analyser). The probe dissects each packet
// (engine/dissect), and for the packets of the flow classes that ask for
// "tcp" calls Tracker.Packet once, in capture order, with the class name
// and the class's boundary-only option. Finished rows leave through
// Tracker.Expire (called regularly with the capture time) and Tracker.Flush
// (end of input), each with the capture interface index; AppendConn and
// DecodeConn carry them to the collector inside PDUs (design 3.14). Time is
// capture time only: nothing here reads a clock. start_time and end_time
// are the packets' capture times (pkt.Meta.TimeNs); timeouts and the
// handshake times run on their timer clock (pkt.Meta.Clock: capture time
// with the capture's clock steps taken out by the probe), so a capture
// whose time steps back or jumps neither splits a connection nor gives a
// negative time, and Expire takes that clock.
//
// # Connections
//
// A connection is keyed by (interface, 4-tuple), direction-independent. The
// client is the sender of the first SYN, the receiver of a SYN-ACK seen
// first, or else the side with the higher port (the first sender on a tie);
// when that is not the sender of the connection's first packet the history
// starts with Zeek's '^'. The orientation never changes afterwards (Zeek's
// SYN/SYN-ACK role reversal is not ported). A SYN starts a new connection
// on a known 4-tuple as Zeek's TCPSessionAdapter::IsReuse decides: a SYN
// whose sequence number differs from its side's initial one (port reuse, or
// a SYN after mid-stream traffic), unless that side never sent anything; a
// SYN-ACK only when the client never sent anything and the server's ISN
// changed. On a connection that saw a RST every SYN does, whatever its
// sequence number (Zeek's IsClosed branch; RFC 9293 §3.10.7.3: the refused
// client deleted its connection): a SYN sent again after the server's
// RST/ACK is another attempt, one REJ row each, as in Zeek's conn.log
// (tshark calls it a retransmission). Otherwise retransmitted SYNs (same
// ISN) stay in the connection, also after a FIN exchange (an old
// duplicate, or a repeated capture section, where Zeek starts a row). The
// previous connection's row then waits for the next Expire. Two rules
// keep one connection one row whatever the capture order:
//
//   - A client SYN whose ISN the connection's SYN-ACK acknowledged (its
//     ACK number is ISN+1, or ISN+1+data with TCP Fast Open) is the
//     connection's own original SYN captured late (arkime#4019, zeek#2191):
//     never port reuse. The client's positions move to its ISN when they
//     had been inferred otherwise (the bytes never seen between are
//     missing), saw_start becomes true, and it is not a retransmission
//     (tshark, which cannot know, flags it as one).
//   - A SYN or SYN-ACK whose ISN differs from its sender's known one and
//     that does not start a new connection (a stray SYN-ACK after the
//     handshake, zeek#3313) is counted in *_stray_syns and otherwise
//     ignored: it neither rebases nor moves the sender's sequence space,
//     its ACK is not trusted, and Zeek's sequence numbers are not rebased
//     either (Zeek and tshark do, and then see gigabytes of data and
//     out-of-order segments).
//
// Reporting (timeouts on capture time, Config): CloseDelayNs (5 s, Zeek's
// tcp_close_delay / tcp_reset_delay) after the last packet of a connection
// that saw FIN from both sides, a RST, or a FIN from a side whose peer never
// sent anything; HandshakeTimeoutNs (2 min) after the last packet of a
// connection one side of which never sent anything (S0 attempts, one-way
// captures); IdleTimeoutNs (1 h, longer than Zeek's 5 min
// tcp_inactivity_timeout so that an FTP control connection idle during a
// long transfer stays one row) otherwise. Flush reports the rest with their
// current state (S1, S0, OTH, ...). A full table (MaxConns) evicts the
// least recently active connection, closing ones first, then half-open,
// then established. start_time and end_time are the first and last packets
// seen (unlike Zeek's duration, trailing ACKs count).
//
// # Sequence numbers (payload and missing bytes)
//
// Each direction keeps 64-bit positions relative to its ISN (position 0 is
// the SYN; without a SYN, the byte before the first one seen, as in
// tshark's relative numbers, and earlier data seen later extends the start
// backwards). A 32-bit sequence number is unwrapped against the highest
// position seen or acknowledged by the peer: every step of less than 2^31
// is taken literally, so wrap-around, connections of more than 4 GiB and
// capture holes of up to 2 GiB between two seen segments or ACKs are
// followed (zeek/zeek#1709, #1754; edge case 06). SYN and FIN consume one
// sequence number each; a RST's data is not part of the stream (Zeek).
//
//   - payload bytes = highest position reached (segments, or the peer's
//     ACKs) - first payload position, without the FIN. It counts every byte
//     sent once, retransmissions never twice, bytes never captured included.
//     A FIN lost before the probe but acknowledged adds 1. A side none of
//     whose segments was seen (a one-way capture) is known from the peer's
//     ACKs, as Zeek's init_peer does: its ISN is the first ACK number - 1,
//     and its payload (all of it missing) the bytes acknowledged since.
//   - missing bytes = the sequence space never seen: holes between seen
//     segments, plus acknowledged bytes beyond the highest segment. Holes
//     are kept as sorted ranges, at most 64 per direction; beyond that the
//     holes the peer acknowledged past are settled (no segment can fill
//     them), or else the lowest is given up (Stats.HolesGivenUp: a later
//     copy of its bytes counts as a retransmission, its bytes as missing).
//
// # Retransmissions, out-of-order, zero windows (Wireshark tcp.analysis)
//
// Segments are classified as Wireshark's packet-tcp.c
// (tcp_analyze_sequence_number) does, per direction, with its state
// (nextseq = highest position but zero-window probes, nextseqtime, the
// peer's last ACK, its time and its duplicate-ACK count). Keep-alives
// (tcp.analysis.keep_alive: 0 or 1 byte at nextseq-1, no SYN/FIN/RST) and
// zero-window probes (tcp.analysis.zero_window_probe: 1 byte at nextseq
// while the peer's window is 0; it does not advance nextseq) are counted
// per sender in *_keepalives and *_zero_window_probes, and are neither
// retransmissions nor holes. A probe byte is data for the sequence space:
// when the receiver accepts it (ACK beyond it) it is payload, not a 1-byte
// hole (ntopng#1711; tshark 4.0 flags the data after it "previous segment
// not captured"). A segment carrying data, SYN or FIN whose sequence
// number is below nextseq is then, in this order, not classified if it
// has more than 1 byte starting at nextseq-1; a spurious retransmission if
// the peer already acknowledged all of it; a fast retransmission if the
// peer sent at least 2 duplicate ACKs for this sequence number, the last
// less than 20 ms ago; out-of-order if it comes less than the initial RTT
// (tcp.analysis.initial_rtt: the last SYN, ts_mru_syn, to the ACK
// completing the handshake; 3 ms when unknown) after nextseq last advanced
// and does not end exactly at nextseq; a retransmission otherwise.
// Duplicate ACKs: no data, no SYN/FIN/RST, non-zero window equal to the
// previous one, sequence number at nextseq, same ACK number (the count
// restarts when the ACK number changes). Retransmissions count plain, fast
// and spurious ones (tcp.analysis.retransmission); tests check frame by
// frame against tshark on lab and sample captures. Zero windows: window
// field 0 on a segment without SYN, FIN or RST (tcp.analysis.zero_window).
// Fragments must be reassembled before Packet.
//
// # Handshake, options
//
// handshake_syn_synack_ms runs from the client's first SYN to the server's
// first SYN-ACK seen at the probe (NULL when the SYN-ACK was captured
// first, or either is missing): a lost SYN adds its retransmission timeout,
// as in the lab ground truth. handshake_rtt_ms is Karn-safe: from the
// client's last SYN before the handshake's ACK (Wireshark's ts_mru_syn) to
// the first SYN-ACK after it, of the ISN the client's ACK names (a
// retransmitted SYN's answer is timed from the latest copy; a SYN sent
// again because the SYN-ACK was lost beyond the probe, where the server
// sends its SYN-ACK again, restarts it). handshake_synack_ack_ms runs from
// that SYN-ACK (the first SYN-ACK when none followed the last SYN, or no
// SYN was seen) to the client's first ACK after it, so that
// handshake_rtt_ms + handshake_synack_ack_ms is the last SYN to the
// handshake's ACK: tshark's tcp.analysis.initial_rtt, the round trip
// wherever the probe sits (the tcp query's irtt_ms). Without a
// retransmitted SYN or SYN-ACK the three are the lab ground truth's
// (handshake_syn_to_synack_us, handshake_synack_to_ack_us); when the
// client sent a SYN after the first SYN-ACK, the truth's SYN-ACK to ACK
// runs from the first SYN-ACK, across the client's retransmission timeout.
// tshark's iRTT ends at the first segment with ACK and without SYN after a
// SYN, from either side, needing no SYN-ACK: it also times a RST/ACK
// refusing or cutting the handshake, and the ACK of a handshake whose
// SYN-ACK was not captured, where handshake_rtt_ms is NULL (and so is the
// sum); tshark shows no iRTT of 0 (equal capture times). A time that would
// be negative (capture time going backwards) is NULL. Window scale, MSS and SACK-permitted come from each
// side's first SYN; the shift is reported as sent even above 14 (RFC 7323
// §2.3 tells receivers to use 14); sack_permitted needs both SYNs. A side
// whose SYN was not seen has NULL window scale and MSS (unknown, so
// averages are not pulled down); a SYN without the option gives wscale -1
// and MSS NULL.
//
// # conn_state and history (Zeek)
//
// zeek.go ports Zeek's endpoint state machine (TCPSessionAdapter.cc:
// UpdateStateMachine and its per-state functions), its history letters
// (update_history, update_window, update_last_seq: S h A D F R and lower
// case, I/i for FIN+RST, Q/q for SYN+FIN or SYN+RST, T/t retransmitted
// payload and W/w zero windows recorded at 1, 10, 100, ... events, '^' as
// above) and conn_state() of base/protocols/conn/main.zeek (S0 S1 SF REJ S2
// S3 RSTO RSTR RSTOS0 RSTRH SH SHR OTH, with payload sizes from this
// package). Zeek's own rules are used for the letters, so 'T' follows
// Zeek's retransmission test (payload that does not advance the last
// sequence number) rather than Wireshark's, and marks a TCP Fast Open SYN's
// data as Zeek does. The count behind the letters is in
// *_zeek_retransmissions, beside Wireshark's *_retransmissions: a row may
// have history 't' and server_retransmissions 0 (an out-of-order segment
// for Wireshark), never without saying why. Not reported: C/c (checksums are not verified: offload
// makes them meaningless at the probe), G/g (Zeek's reassembler gaps), X.
// History is cut at 48 letters (Stats.HistoryCut).
//
// # Boundary-only mode (design 3.6)
//
// With Packet(..., boundaryOnly=true) only SYN, FIN and RST segments are
// analysed. Payload = FIN sequence number + FIN payload - ISN - 1 (or RST
// sequence number - ISN - 1), in 32-bit arithmetic: exact below 4 GiB,
// modulo 2^32 above (design 1.4: "provided less than 4 GBytes"); a side
// that never sent FIN or RST gets the highest ACK of its data found in the
// peer's FIN or RST. Missing bytes, retransmissions and out-of-order are 0,
// packets count only the boundary segments, handshake_synack_ack_ms is
// NULL (the third handshake segment is not seen), and the history holds
// only S/H/F/R letters.
//
// # Costs
//
// A packet of a known connection costs one map lookup and no allocation
// (BenchmarkKnownConnections); a connection costs about 900 bytes, plus 16
// bytes per open sequence hole, so 65536 connections take about 60 MB.
package tcpconn
