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
// capture time only: nothing here reads a clock.
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
// changed. Retransmitted SYNs (same ISN) stay in the connection. The
// previous connection's row then waits for the next Expire.
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
//     A FIN lost before the probe but acknowledged adds 1.
//   - missing bytes = the sequence space never seen: holes between seen
//     segments, plus acknowledged bytes beyond the highest segment. Holes
//     are kept as sorted ranges, at most 256 per direction; beyond that the
//     two closest are merged (seen bytes between them then count as missing).
//
// # Retransmissions, out-of-order, zero windows (Wireshark tcp.analysis)
//
// Segments are classified as Wireshark's packet-tcp.c
// (tcp_analyze_sequence_number) does, per direction, with its state
// (nextseq = highest position, nextseqtime, the peer's last ACK, its time
// and its duplicate-ACK count): a segment carrying data, SYN or FIN whose
// sequence number is below nextseq is, in this order, not classified if it
// is a keep-alive (0 or 1 byte at nextseq-1) or a zero-window probe (1 byte
// at nextseq while the peer's window is 0; it does not advance nextseq), or
// if it has more than 1 byte starting at nextseq-1; a spurious
// retransmission if the peer already acknowledged all of it; a fast
// retransmission if the peer sent at least 2 duplicate ACKs for this
// sequence number, the last less than 20 ms ago; out-of-order if it comes
// less than the initial RTT (first SYN to the ACK completing the
// handshake; 3 ms when unknown) after nextseq last advanced and does not
// end exactly at nextseq; a retransmission otherwise. Duplicate ACKs: no
// data, no SYN/FIN/RST, non-zero window equal to the previous one, sequence
// number at nextseq, same ACK number (the count restarts when the ACK
// number changes). Retransmissions count plain, fast and spurious ones
// (tcp.analysis.retransmission); tests check frame by frame against tshark
// on lab and sample captures. Zero windows: window field 0 on a segment
// without SYN, FIN or RST (tcp.analysis.zero_window). Fragments must be
// reassembled before Packet.
//
// # Handshake, options
//
// handshake_syn_synack_ms runs from the client's first SYN to the server's
// first SYN-ACK seen at the probe (NULL when the SYN-ACK was captured first,
// or either is missing); handshake_synack_ack_ms from that SYN-ACK to the
// client's first ACK after it (the lab ground truth's definition). Window
// scale, MSS and SACK-permitted come from each side's first SYN; the shift
// is reported as sent even above 14 (RFC 7323 §2.3 tells receivers to use
// 14); sack_permitted needs both SYNs.
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
// data as Zeek does. Not reported: C/c (checksums are not verified: offload
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
// (BenchmarkKnownConnections); a connection costs about 700 bytes, plus 16
// bytes per open sequence hole, so 65536 connections take about 45 MB.
package tcpconn
