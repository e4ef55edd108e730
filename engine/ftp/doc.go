// Package ftp follows FTP sessions in the probe: the control connection's
// commands and replies, the data connections they announce, and one
// record per file transfer and per session (analysis "ftp"; design 1.4,
// 3.6, 3.11; RFC 959, RFC 2428).
//
// Where it sits: the probe hands every TCP segment of a flow class with
// analysis "ftp" (typically port 21) to Tracker.Control, and every other
// TCP segment to Tracker.Data, which says whether it belongs to an FTP
// data connection so that the probe counts it as FTP in its flow
// counters (design 1.4: passive data connections use ports no filter
// would ever match). Rows leave through Expire (capture time) and Flush
// (end of input) as observe.FTPTransfer and observe.FTPSession values,
// and travel to the collector with AppendTransfer/AppendSession.
// Imports: engine/dissect, engine/observe, engine/pdu.
//
//	class "ftp" ──▶ Control ──▶ commands, replies ──▶ channels (PASV, EPSV, PORT, EPRT)
//	                                                      │
//	other TCP   ──▶ Data ──▶ bitmap ─▶ peer pair ─▶ expected / established connection
//	                                                      │
//	                       Expire / Flush ──▶ ftp_transfers, ftp_sessions rows
//
// # Control connection (RFC 959 §4.1, §4.2)
//
// Each direction is reassembled by TCP sequence number: bytes already
// seen are dropped (retransmissions, duplicated captures), segments beyond
// a gap are held (16 segments, 8 KiB per direction) until the gap fills.
// A gap is given up when the peer acknowledges the bytes after it (they
// reached the receiver but not the capture and will not come again), when
// the buffer is full, or when the session ends. After a gap, and after a
// segment cut by the snap length, the partial line is dropped (a cut 227
// or PORT line would give a wrong port), a multi-line reply in progress is
// abandoned and the next byte is taken as the start of a line, since FTP
// peers write whole lines per segment. Lines end at LF (CR LF per the
// RFC, bare LF tolerated) and are kept up to 2048 bytes, so lines split
// over segments and several lines in one segment are both parsed.
//
// Commands are a 3- or 4-letter verb, case insensitive, an optional space
// and argument (leading Telnet IAC IP/DM bytes before ABOR are skipped).
// Replies are a 3-digit code and a space; a multi-line reply starts with
// "NNN-" and ends at the first line that starts with the same code and a
// space, whatever the lines in between look like (§4.2). A complete reply
// counts once.
//
// Pairing (§5.4): a final reply (2xx to 5xx) answers the oldest command
// still waiting; when its code cannot answer that command but answers a
// later one specifically (227 for PASV, 226 for a transfer, ...), the
// earlier replies were lost in a capture gap and those commands are
// dropped; but a transfer in progress (its 1xx seen) is never dropped so:
// a reply it cannot take answers the first later command it fits alone
// (keep-alive NOOP, PWD, STAT, TYPE sent during a long transfer and
// answered before its 226). Preliminary replies (1xx) go to the oldest
// waiting transfer command and close nothing. The 220 greeting answers no
// command. After AUTH and a 234 reply (RFC 4217), or 200 (VxWorks'
// server), the connection is TLS and is no longer parsed.
//
// # Data channels (RFC 959 §3.2, RFC 2428, RFC 1123 §4.1.2.6)
//
// Announcements: a 227 reply, whose host and port are the first six
// comma-separated numbers of its text (with or without parentheses or
// trailing text; "227 Logout." announces nothing), a 229 reply
// "(|||port|)" on the control server's address, a PORT h1,h2,h3,h4,p1,p2
// command and an EPRT |1|addr|port| or |2|addr|port| command. Each
// announcement is a channel: in passive mode the client connects from any
// port to the announced address and port, in active mode the server
// connects from any port (20, or another: NetBSD ftpd uses high ports) to
// them. The initiator must be the control connection's client
// (passive) or server (active) as seen by the probe. When the announced
// address differs from the control peer's (a server behind a NAT
// announcing its private address, or a client behind a NAT without FTP
// ALG), the connection is accepted on either address (Stats.AddrMismatch),
// except for a PORT or EPRT naming the passive listener another followed
// session announced: a third-party transfer (FXP, RFC 959 §2.3, §5.2
// figure 3), whose connection from the server given PORT to the other
// server is measured for both sessions' transfers (Stats.ThirdParty;
// tshark 4.0 gives it to the PORT side only).
// A transfer command takes the latest channel announced and not yet used;
// with none, it takes the latest passive listener again (RFC 959 §4.1.1,
// §3.3: the data port persists until the user changes it; servers that
// keep the listener open see the client connect to it for each transfer;
// Stats.ListenerReuses), unless a PORT or EPRT came since or a PASV or
// EPSV awaits its reply (tshark 4.0 does not follow such a connection);
// a passive channel whose reply arrives after the transfer command
// (pipelining client) goes to that command. A data connection may open
// before its transfer command (lftp connects right after the 227). A SYN
// with a new ISN on the ports of an earlier data connection (a server
// announcing one passive port, a client giving the same PORT again) opens
// a new connection for the next channel; the earlier one keeps its bytes.
// An attempt that carried nothing and was reset or never answered (SYN,
// RST) gives way to the channel's next attempt, from another port or with
// a new ISN. A SYN captured before the reply or command announcing its
// port (directions captured apart and merged out of order, an eager
// client) opens the channel's connection when the announcement comes:
// the last 8 SYNs between FTP peers that matched nothing are remembered
// for 2 s of timer clock (early.go; Stats.EarlySYNs, EarlySYNsDropped).
//
// # Cache of FTP session peers (design 3.6)
//
// Data must cost nothing for traffic that is not FTP. The address pairs
// of control connections and announced channels are held in a map; in
// front of it, a bitmap of 2^16 bits (8 KiB) indexed by a hash of the
// unordered address pair rejects a packet with one probe and no map
// lookup; a per-slot count lets pairs leave. A one-entry cache of the last
// matched data connection serves bulk transfers without any lookup.
// Measured with BenchmarkDataNonFTP and BenchmarkDataFTP: 0 allocations.
//
// # Transfers
//
// Bytes are the data connection's payload in the transfer direction,
// taken from sequence numbers (design 3.6: the difference of sequence
// numbers at the connection's boundaries): the highest end of data seen
// minus the ISN+1 (or the lowest sequence seen when the SYN was missed),
// unwrapped to 64 bits. Retransmissions count once, capture gaps and snap
// length do not matter, transfers past 4 GiB count right as long as the
// packets seen are less than 2 GiB apart (zeek's bigtransfer: 5,416,666,670
// bytes of which 23,822 are captured); a FIN is unwrapped forward, so SYN
// and FIN alone give exact sizes below 4 GiB. Resets move nothing. Bytes
// the capture missed at the edges are bounded as Wireshark's relative
// sequence numbers bound them: the first from the peer's SYN-ACK (its ACK
// is the ISN+1) when the SYN was missed, the last from the peer's ACKs
// when the last segments and the FIN were missed (a side none of whose
// packets was seen starts at the peer's first ACK, Zeek's init_peer). An
// acknowledged FIN not seen is told from a byte by the reply: in stream
// mode the sender closes the connection at end of file (RFC 959 §3.4.1),
// so after a 2xx the last acknowledged sequence number is its FIN.
//
// Start is the data connection's first packet (its SYN, also when captured
// before its announcement within the 2 s above), or the command
// when no data connection was seen; end is the later of the data
// connection's last packet and the final reply (a 226 may follow the data
// by a while: edge 04). Status from the final reply: 426 aborted, any
// other 4xx/5xx failed, 2xx complete when a data connection was seen and
// incomplete when none was (the bytes were not observed: zeek's
// cwd-navigation trace, whose 687 RETR got 226 replies but whose data
// connections were filtered out of the capture), no final reply
// incomplete. Transfers leave in command order, LingerNs after their last
// event when replied, IdleTimeoutNs without activity otherwise; a transfer
// answered 1xx-2xx whose data connection is still open (answered, no FIN,
// no reset) waits for it to close, as its server may send the 226 while
// the data are still in its socket buffer (a lossy link's retransmission
// timeouts then hold them back for seconds).
//
// # Sessions
//
// One row per control connection: client is the sender of the SYN (else
// the side with the higher port); user is the last USER argument (the
// PASS argument is never kept); logged_in is set by a 230 reply;
// saw_start by the 220 greeting; end_time is the last control packet.
// A session ends by the rules of tcp_connections (engine/tcpconn), so that
// ftp_sessions and the tcp_connections rows of the control connections
// agree, also on captures whose time steps back (a repeated section):
// CloseDelayNs (5 s) after both FINs, a reset, or a FIN unanswered (and
// after its data connections fall silent), HandshakeTimeoutNs (2 min)
// after the last packet when one side never sent anything, IdleTimeoutNs
// (1 h) without any packet, when a SYN starts a new connection on its
// 4-tuple (Zeek's IsReuse, as tcpconn: another ISN from the client, a SYN
// from the server; never the connection's own original SYN captured
// late), or when MaxSessions evicts the least recently active one; its
// transfers are emitted first. Timeouts run on the timer clock
// (pkt.Meta.Clock: capture time with clock steps taken out); reported
// times are the packets' capture times.
//
// Not handled: LPRT/LPSV (RFC 1639), the default data port used when no
// PORT was sent (RFC 959 §3.2), the file name chosen by the server for
// STOU (file_name is the argument as sent), and control connections over
// TLS beyond the AUTH exchange.
package ftp
