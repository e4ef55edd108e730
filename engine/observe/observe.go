// Package observe holds one Go struct per output table, the Batch the
// collector fills with them, and Tables: the one registry of tables (name,
// one-line description, row type) that replay and collector writing, the
// store and the column reference iterate. These are the rows that land in
// Parquet (engine/store) and are queried with DuckDB (queries/); Sink is
// what receives them while a run goes on.
//
// Column conventions (house style): snake_case names; every number with a
// unit carries it in its name (interval_s, rtt_ms, delay_us); absolute times
// are TIMESTAMP columns stored as int64 Unix nanoseconds with the
// `timestamp(nanosecond:local)` tag so DuckDB reads TIMESTAMP_NS with the
// nanoseconds intact; addresses and enums are dictionary-encoded strings.
// Schema changes add columns; they never rename one.
package observe

// Flow is one row of the flows table: one direction of one granular flow of
// one flow class, as seen at one probe interface (design 3.2, 3.10).
// Packets and Bytes are totals over the whole run.
type Flow struct {
	FlowID    uint64 `parquet:"flow_id"`                                // probe-unique, assigned by the probe (design 3.2)
	Probe     string `parquet:"probe,dict"`                             // probe name
	Interface string `parquet:"interface,dict"`                         // capture interface name within the probe
	Class     string `parquet:"class,dict"`                             // flow class name from the config
	Name      string `parquet:"name"`                                   // readable flow name, e.g. "10.0.0.1:high>10.0.0.2:161/udp"; a class split by dscp or vlan adds " dscp N", " vlan N": the outermost VLAN tag's ID (Q-in-Q: the S-tag; the inner C-tag splits no flow), 0 untagged
	IPVersion uint8  `parquet:"ip_version"`                             // 4 or 6; 0 when the class does not split by it
	Protocol  uint8  `parquet:"protocol"`                               // IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6)
	SrcAddr   string `parquet:"src_addr,dict"`                          // "" when the class does not split by it
	DstAddr   string `parquet:"dst_addr,dict"`                          // "" when the class does not split by it
	SrcPort   uint16 `parquet:"src_port"`                               // 0 when absent, folded or not split by
	DstPort   uint16 `parquet:"dst_port"`                               // 0 when absent, folded or not split by
	FirstSeen int64  `parquet:"first_seen,timestamp(nanosecond:local)"` // capture time of the flow's first packet (of a fragmented datagram's earliest fragment captured, even held before its first fragment)
	LastSeen  int64  `parquet:"last_seen,timestamp(nanosecond:local)"`  // capture time of the flow's last packet
	Packets   uint64 `parquet:"packets"`                                // IP packets (fragments count one each)
	Bytes     uint64 `parquet:"bytes"`                                  // IP total length, summed
}

// FlowCounter is one row of flow_counters (long format): one metric of one
// flow over one interval, as population/sum/sum of squares/min/max so that
// intervals and flows aggregate without losing the variance (design 1.11).
// For an event count (e.g. tcp_syn) N is the count and Sum equals N.
type FlowCounter struct {
	Probe         string  `parquet:"probe,dict"`                                 // probe name
	FlowID        uint64  `parquet:"flow_id"`                                    // the flows row (with probe)
	IntervalStart int64   `parquet:"interval_start,timestamp(nanosecond:local)"` // start of the interval (aligned on the epoch) holding the packets' capture time; a packet stamped before the interval open when it came (reordered across an interval's end, a repeated section: capture_time_backwards events) counts in the open one
	IntervalS     float64 `parquet:"interval_s"`                                 // interval length in seconds
	Metric        string  `parquet:"metric,dict"`                                // metric name: packets, ip_bytes, ttl, tcp_syn, ... (see flow_counters metrics)
	Unit          string  `parquet:"unit,dict"`                                  // unit of the metric's values (bytes, packets, hops, ...)
	N             uint64  `parquet:"n"`                                          // number of values (for a count metric: the count)
	Sum           float64 `parquet:"sum"`                                        // sum of the values, in unit
	SumSq         float64 `parquet:"sumsq"`                                      // sum of the squared values, in unit²
	Min           float64 `parquet:"min"`                                        // smallest value, in unit
	Max           float64 `parquet:"max"`                                        // largest value, in unit
}

// Event is one row of events: a remarkable occurrence at a probe or the
// collector (design 1.7, 3.13), such as a truncated capture, an evicted
// flow or a transport state change.
type Event struct {
	// Time is the capture time of the occurrence: the probe's clock
	// (live: the capture's, which idle ticks move with the wall clock).
	// A probe's events lie between its probe_start and its probe_stop
	// (one given to it before its first packet, such as a capture damaged
	// before its first record, is stamped 1 ns after probe_start;
	// capture_stop comes before probe_stop). Source replay: the run's first
	// packet, else the first one --filter left out, else (no packet at
	// all: header-only captures, a capture refused before its first
	// record) the wall clock at the replay's start, run.json's started:
	// never 1970 unless the capture says so.
	Time     int64  `parquet:"time,timestamp(nanosecond:local)"`
	Source   string `parquet:"source,dict"`   // "probe:NAME", "collector" or "replay" (what replay knows of its capture files)
	Kind     string `parquet:"kind,dict"`     // stable machine name, e.g. capture_truncated
	Severity string `parquet:"severity,dict"` // info, warning or error
	Message  string `parquet:"message"`       // what happened, for a person
	// Count is how many things the event reports (frames refused, rows
	// dropped, flows evicted...), 0 when it counts nothing: sum(count)
	// over a kind tells how much is missing. The collector's one-way
	// counters (oneway_signature_collisions, oneway_late, oneway_repeats
	// and the other oneway_* kinds but oneway_totals and
	// oneway_probe_not_switched) count their growth since the previous
	// report: once at the end of a replay, at every drain of a served
	// collector or a live capture, whose later rows read "N more ... (M in
	// all)"; sum(count) over the kind and class is the total, not max.
	Count uint64 `parquet:"count"`
}

// Severities of an Event.
const (
	SevInfo    = "info"
	SevWarning = "warning"
	SevError   = "error"
)

// SizeHistogram is one row of size_histograms: how many packets of one flow
// fell in one IP size slice during one interval (analysis "sizes", design
// 5.1 "IPv4 sizes distribution"). The slice is (slice_lo_bytes,
// slice_hi_bytes]; the last slice has slice_hi_bytes 0 (no upper bound).
type SizeHistogram struct {
	Probe         string  `parquet:"probe,dict"`                                 // probe name
	FlowID        uint64  `parquet:"flow_id"`                                    // the flows row (with probe)
	IntervalStart int64   `parquet:"interval_start,timestamp(nanosecond:local)"` // start of the interval (aligned on the epoch) holding the packets' capture time; a packet stamped before the interval open when it came (reordered across an interval's end, a repeated section: capture_time_backwards events) counts in the open one
	IntervalS     float64 `parquet:"interval_s"`                                 // interval length
	SliceLoBytes  uint32  `parquet:"slice_lo_bytes"`                             // lower bound of the IP size slice (excluded)
	SliceHiBytes  uint32  `parquet:"slice_hi_bytes"`                             // upper bound (included); 0: no bound
	Packets       uint64  `parquet:"packets"`                                    // packets of the flow in the slice during the interval
}

// TCPConnection is one row of tcp_connections: one TCP connection followed
// by the probe (analysis "tcp", design 3.6, 3.11; RFC 793, RFC 7323). The
// client is the side that sent the first SYN (or, without a SYN, the side
// with the higher port). conn_state and history use Zeek's codes (conn.log)
// so engineers recognise them. Optional values are NULL when not observed.
type TCPConnection struct {
	Probe                 string   `parquet:"probe,dict"`                             // probe name
	Interface             string   `parquet:"interface,dict"`                         // capture interface within the probe
	Class                 string   `parquet:"class,dict"`                             // flow class that followed the connection
	ConnID                uint64   `parquet:"conn_id"`                                // probe-unique, across classes: a connection two classes follow is two rows with two conn_ids (Zeek: a uid is unique in its log)
	ClientAddr            string   `parquet:"client_addr,dict"`                       // address of the side that sent the first SYN
	ClientPort            uint16   `parquet:"client_port"`                            // its port
	ServerAddr            string   `parquet:"server_addr,dict"`                       // address of the other side
	ServerPort            uint16   `parquet:"server_port"`                            // its port
	StartTime             int64    `parquet:"start_time,timestamp(nanosecond:local)"` // first packet of the connection
	EndTime               int64    `parquet:"end_time,timestamp(nanosecond:local)"`   // last packet of the connection
	DurationS             float64  `parquet:"duration_s"`                             // end_time - start_time
	HandshakeSynSynackMs  *float64 `parquet:"handshake_syn_synack_ms,optional"`       // first SYN to first SYN-ACK seen at the probe (a lost SYN adds its retransmission timeout; of SYN-ACKs with different ISNs, the first of the ISN the client's ACK names, zeek#3313); NULL when the SYN-ACK came first, either is missing or either has no capture time of its own (pcapng Simple Packet Block)
	HandshakeSynackAckMs  *float64 `parquet:"handshake_synack_ack_ms,optional"`       // the SYN-ACK handshake_rtt_ms ends at (the first after the client's last SYN; the first SYN-ACK when none came after that SYN or no SYN was seen) to the client's first ACK after it, so handshake_rtt_ms + handshake_synack_ack_ms is tshark's tcp.analysis.initial_rtt (last SYN to the handshake's ACK) wherever the probe sits; the first SYN-ACK's time to the ACK unless the client sent a SYN after it (that SYN-ACK was lost beyond the probe); NULL without a SYN-ACK and a client ACK after it, or when either has no capture time of its own
	ClientPayloadBytes    uint64   `parquet:"client_payload_bytes"`                   // from sequence numbers (highest reached), 64-bit
	ServerPayloadBytes    uint64   `parquet:"server_payload_bytes"`
	ClientMissingBytes    uint64   `parquet:"client_missing_bytes"` // sequence space never seen (capture holes)
	ServerMissingBytes    uint64   `parquet:"server_missing_bytes"`
	ClientPackets         uint64   `parquet:"client_packets"` // segments the client sent
	ServerPackets         uint64   `parquet:"server_packets"`
	ClientRetransmissions uint64   `parquet:"client_retransmissions"` // Wireshark's tcp.analysis.retransmission (plain, fast and spurious), per segment
	ServerRetransmissions uint64   `parquet:"server_retransmissions"`
	ClientOutOfOrder      uint64   `parquet:"client_out_of_order"` // Wireshark's tcp.analysis.out_of_order
	ServerOutOfOrder      uint64   `parquet:"server_out_of_order"`
	ClientZeroWindows     uint64   `parquet:"client_zero_windows"` // Wireshark's tcp.analysis.zero_window
	ServerZeroWindows     uint64   `parquet:"server_zero_windows"`
	ClientWScale          *int16   `parquet:"client_wscale,optional"` // window scale shift sent in the SYN, as sent (above 14 too: RFC 7323 §2.3 has the receiver use 14); -1 when the SYN had no such option; NULL when the side's SYN was not seen
	ServerWScale          *int16   `parquet:"server_wscale,optional"`
	ClientMSS             *uint16  `parquet:"client_mss,optional"` // MSS option of the side's SYN; NULL when the SYN was not seen or had no MSS option
	ServerMSS             *uint16  `parquet:"server_mss,optional"`
	SACKPermitted         bool     `parquet:"sack_permitted"`  // both SYNs carried SACK-permitted
	ConnState             string   `parquet:"conn_state,dict"` // Zeek: S0 S1 SF REJ S2 S3 RSTO RSTR RSTOS0 RSTRH SH SHR OTH
	History               string   `parquet:"history"`         // Zeek history letters (ShADadFfRr...); T/t and W/w follow Zeek's rules (letters at the 1st, 10th, 100th ... event), see *_zeek_retransmissions
	SawStart              bool     `parquet:"saw_start"`       // the probe saw the client's SYN
	SawEnd                bool     `parquet:"saw_end"`         // the probe saw FIN from both sides or a RST
	BoundaryOnly          bool     `parquet:"boundary_only"`   // only SYN/FIN/RST were analysed (design 3.6)
	// HandshakeRTTMs is Karn-safe: from the client's last SYN before the
	// handshake's ACK (tshark's ts_mru_syn) to the first SYN-ACK after it
	// (the SYN a retransmitted SYN-ACK answers is the latest one), of the
	// ISN the client's ACK names; plus handshake_synack_ack_ms it is
	// tshark's tcp.analysis.initial_rtt. Equal to handshake_syn_synack_ms
	// when neither the SYN nor the SYN-ACK was sent again; NULL when no
	// SYN-ACK came after the last SYN (or the SYN-ACK came first), or
	// either has no capture time of its own.
	HandshakeRTTMs *float64 `parquet:"handshake_rtt_ms,optional"`
	// Keep-alives the client sent (Wireshark's tcp.analysis.keep_alive: 0
	// or 1 byte at the next expected sequence number minus 1, no
	// SYN/FIN/RST); a zero-window probe (tcp.analysis.zero_window_probe: 1
	// byte at the next expected sequence number while the peer's window
	// is 0) counts in client_zero_window_probes, not here. Neither is a
	// retransmission nor a hole; a probe byte the receiver accepts is
	// payload.
	ClientKeepalives       uint64 `parquet:"client_keepalives"`
	ServerKeepalives       uint64 `parquet:"server_keepalives"`
	ClientZeroWindowProbes uint64 `parquet:"client_zero_window_probes"` // zero-window probes the client sent (Wireshark's tcp.analysis.zero_window_probe)
	ServerZeroWindowProbes uint64 `parquet:"server_zero_window_probes"`
	// Zeek's retransmission count behind the history's T/t letters:
	// payload segments that did not advance Zeek's last sequence number
	// (TCP Fast Open SYN data included). It differs from
	// *_retransmissions (Wireshark's per-segment rule, where keep-alives,
	// zero-window probes and out-of-order segments are not
	// retransmissions) by design; both rules are kept.
	ClientZeekRetransmissions uint64 `parquet:"client_zeek_retransmissions"`
	ServerZeekRetransmissions uint64 `parquet:"server_zeek_retransmissions"`
	// SYNs (or SYN-ACKs) with another ISN that did not start a new
	// connection (zeek#3313: a stray SYN-ACK after the handshake): they
	// do not move the sender's sequence space.
	ClientStraySYNs uint64 `parquet:"client_stray_syns"`
	ServerStraySYNs uint64 `parquet:"server_stray_syns"`
}

// RTTSample is one row of rtt_samples: one request matched with its
// response (analysis "rtt", design 3.11). Kind is icmp_echo, dns, snmp,
// ntp, tcp_handshake or tcp_ts. RTTMs is response time minus request time
// at the probe, in milliseconds.
type RTTSample struct {
	Probe       string  `parquet:"probe,dict"`                               // probe name
	FlowID      uint64  `parquet:"flow_id"`                                  // flow of the request in the analysing class
	Kind        string  `parquet:"kind,dict"`                                // icmp_echo, dns, snmp, ntp, tcp_handshake or tcp_ts
	Proto       string  `parquet:"proto,dict"`                               // transport, as Zeek's conn.log and dns.log proto: tcp, udp or icmp (ICMPv6 too); dns is udp or tcp, the other kinds have one; empty when unknown: a dns sample from a probe of PDU wire version 3 or 4 (which did not send it) whose flow's class does not split by protocol
	RequestTime int64   `parquet:"request_time,timestamp(nanosecond:local)"` // capture time of the request
	RTTMs       float64 `parquet:"rtt_ms"`                                   // response time minus request time at the probe; a retransmitted request is timed from its latest copy (as tshark's icmp.resptime and snmp.time; tshark's dns.time from the first: engine/rtt/doc.go)
	ClientAddr  string  `parquet:"client_addr,dict"`                         // address that sent the request
	ClientPort  uint16  `parquet:"client_port"`                              // its port (0 for ICMP)
	ServerAddr  string  `parquet:"server_addr,dict"`                         // address that answered
	ServerPort  uint16  `parquet:"server_port"`                              // its port (0 for ICMP)
	Detail      string  `parquet:"detail"`                                   // e.g. "A www.example.com NOERROR", "get-request", "echo id 8 seq 1"
}

// RTTHistogram is one row of rtt_histograms: the round trips of one kind in
// one flow and interval that fell in one slice (design 3.14: e.g. <2, 2-10,
// 10-50, >50 ms), with n/sum/sumsq/min/max of rtt_ms. The slice is
// [slice_lo_ms, slice_hi_ms); the last slice has slice_hi_ms 0 (no bound).
type RTTHistogram struct {
	Probe         string  `parquet:"probe,dict"`                                 // probe name
	FlowID        uint64  `parquet:"flow_id"`                                    // flow of the requests
	Kind          string  `parquet:"kind,dict"`                                  // icmp_echo, dns, snmp, ntp, tcp_handshake or tcp_ts
	IntervalStart int64   `parquet:"interval_start,timestamp(nanosecond:local)"` // start of the interval (aligned on the epoch)
	IntervalS     float64 `parquet:"interval_s"`                                 // interval length
	SliceLoMs     float64 `parquet:"slice_lo_ms"`                                // lower bound of the slice (included)
	SliceHiMs     float64 `parquet:"slice_hi_ms"`                                // upper bound of the slice (excluded); 0: no bound
	N             uint64  `parquet:"n"`                                          // round trips in the slice
	Sum           float64 `parquet:"sum_ms"`                                     // sum of their rtt_ms
	SumSq         float64 `parquet:"sumsq_ms2"`                                  // sum of their squared rtt_ms
	Min           float64 `parquet:"min_ms"`                                     // smallest rtt_ms
	Max           float64 `parquet:"max_ms"`                                     // largest rtt_ms
}

// FTPSession is one row of ftp_sessions: one FTP control connection
// (analysis "ftp", RFC 959, RFC 2428).
type FTPSession struct {
	Probe      string  `parquet:"probe,dict"`                             // probe name
	Class      string  `parquet:"class,dict"`                             // flow class that followed the control connection (one row per class with ftp); "" from a probe of PDU wire version 5 or older, which did not send it
	SessionID  uint64  `parquet:"session_id"`                             // probe-unique, across classes: a control connection two classes with ftp follow is two rows with two session_ids
	ClientAddr string  `parquet:"client_addr,dict"`                       // address of the FTP client
	ClientPort uint16  `parquet:"client_port"`                            // TCP port of the client's control connection
	ServerAddr string  `parquet:"server_addr,dict"`                       // address of the FTP server
	ServerPort uint16  `parquet:"server_port"`                            // TCP port of the server (21 unless configured otherwise)
	StartTime  int64   `parquet:"start_time,timestamp(nanosecond:local)"` // first packet of the control connection
	EndTime    int64   `parquet:"end_time,timestamp(nanosecond:local)"`   // last packet of the control connection
	DurationS  float64 `parquet:"duration_s"`                             // end_time - start_time
	User       string  `parquet:"user"`                                   // argument of the USER command (as sent, in clear)
	LoggedIn   bool    `parquet:"logged_in"`                              // a 230 reply was seen
	Commands   uint64  `parquet:"commands"`                               // commands the client sent
	Transfers  uint64  `parquet:"transfers"`                              // data transfers of the session (rows of ftp_transfers)
	BytesDown  uint64  `parquet:"bytes_down"`                             // server to client, over all transfers
	BytesUp    uint64  `parquet:"bytes_up"`                               // client to server
	LastReply  uint16  `parquet:"last_reply_code"`                        // code of the last server reply (0 none)
	SawStart   bool    `parquet:"saw_start"`                              // the 220 greeting was seen
}

// FTPTransfer is one row of ftp_transfers: one data transfer of an FTP
// session (RETR, STOR, APPE, STOU, LIST, NLST, MLSD). The data connection is
// written with its TCP initiator first (the client in passive mode, the
// server's port 20 in active mode). Status: complete (2xx final reply),
// aborted (426), failed (other 4xx/5xx), incomplete (no final reply) or
// data_not_captured (a 2xx final reply, but the data connection is not in
// the capture: bytes, throughput_mbps and data_src_port are 0 for
// unknown).
type FTPTransfer struct {
	Probe          string  `parquet:"probe,dict"`                             // probe name
	Class          string  `parquet:"class,dict"`                             // flow class that followed the session (its ftp_sessions row's class); "" from a probe of PDU wire version 5 or older, which did not send it
	SessionID      uint64  `parquet:"session_id"`                             // the ftp_sessions row of the control connection
	Command        string  `parquet:"command,dict"`                           // RETR, STOR, APPE, STOU, LIST, NLST or MLSD
	FileName       string  `parquet:"file_name"`                              // the command's argument as sent
	Direction      string  `parquet:"direction,dict"`                         // server_to_client or client_to_server
	DataMode       string  `parquet:"data_mode,dict"`                         // passive or active
	ModeCommand    string  `parquet:"mode_command,dict"`                      // PASV, EPSV, PORT or EPRT
	DataSrcAddr    string  `parquet:"data_src_addr,dict"`                     // address that opened the data connection
	DataSrcPort    uint16  `parquet:"data_src_port"`                          // its port
	DataDstAddr    string  `parquet:"data_dst_addr,dict"`                     // address the data connection was opened to
	DataDstPort    uint16  `parquet:"data_dst_port"`                          // its port
	StartTime      int64   `parquet:"start_time,timestamp(nanosecond:local)"` // the data connection's first packet (its SYN); the command when no data connection was seen
	EndTime        int64   `parquet:"end_time,timestamp(nanosecond:local)"`   // the later of the final reply and the data connection's last packet
	DurationS      float64 `parquet:"duration_s"`                             // end_time - start_time
	Bytes          uint64  `parquet:"bytes"`                                  // data connection payload in the transfer direction
	ThroughputMbps float64 `parquet:"throughput_mbps"`                        // bytes * 8 / duration_s / 1e6
	ReplyCode      uint16  `parquet:"reply_code"`                             // final reply (226, 426, 550, ...); 0 none
	Status         string  `parquet:"status,dict"`                            // complete, aborted, failed, incomplete or data_not_captured
}

// OnewayDelay is one row of oneway_delays (a class's oneway.records on):
// one packet between two hops of a one-way path (design 1.2, 4.3; RFC 7679
// one-way delay, RFC 7680 loss). A one-way flow is identified without probe
// or interface (design 7): by class and the granularity fields, named in
// flow. Status: delivered (seen at both hops: delay_us set), lost (seen at
// from_hop and at no hop after it: lost on this segment), missed (passed a
// hop of the pair unobserved: seen at to_hop and not at from_hop, or at
// from_hop and a later hop and not at to_hop), dropped (not observed at a
// hop whose probe did not report that time: the observation expired at the
// probe before reaching the collector, the probe had ended its run before
// the packet reached its hop, or it had not reported that far when the
// packet was classified: killed, silent or never heard from), duplicate (a
// second copy at to_hop).
type OnewayDelay struct {
	Class     string   `parquet:"class,dict"`                                     // one-way class name
	FlowID    uint64   `parquet:"flow_id"`                                        // collector-wide id of the one-way flow; a new one when its key comes back after the class's idle_timeout_s without packets
	Flow      string   `parquet:"flow,dict"`                                      // readable one-way flow name (granularity fields)
	FromHop   string   `parquet:"from_hop,dict"`                                  // hop the packet left (probe or probe/interface)
	ToHop     string   `parquet:"to_hop,dict"`                                    // hop the packet reached, or should have
	SendTime  *int64   `parquet:"send_time,optional,timestamp(nanosecond:local)"` // capture time at from_hop (last fragment for a fragmented datagram)
	RecvTime  *int64   `parquet:"recv_time,optional,timestamp(nanosecond:local)"` // capture time at to_hop
	DelayUs   *float64 `parquet:"delay_us,optional"`                              // recv_time - send_time, microseconds (clock offsets corrected)
	SizeBytes uint32   `parquet:"size_bytes"`                                     // IP datagram length
	Status    string   `parquet:"status,dict"`                                    // delivered, lost, missed, dropped or duplicate
	Signature uint64   `parquet:"signature"`                                      // the packet's signature (signature_bits wide)
	// SendFirstTime and RecvFirstTime are the capture times of the first
	// fragment of a reassembled datagram at each hop (design 3.8); for an
	// unfragmented packet they equal send_time and recv_time.
	SendFirstTime *int64 `parquet:"send_first_time,optional,timestamp(nanosecond:local)"`
	RecvFirstTime *int64 `parquet:"recv_first_time,optional,timestamp(nanosecond:local)"`
	FromHopIndex  uint8  `parquet:"from_hop_index"` // position of from_hop on the class's path: its index in oneway.hops (design 4.3: the hops in the order the packets travel), 0 for the first hop; NULL in outputs written before the column was added (queries.Open)
	ToHopIndex    uint8  `parquet:"to_hop_index"`   // position of to_hop on the path, after from_hop_index
}

// OnewayKey is what a oneway_latency and a oneway_loss row are about: one
// hop pair of one one-way flow over one interval. Both row types embed it,
// so its fields are their first nine columns (parquet-go flattens an
// embedded struct in its place; ColumnFields lists them so). The hop
// indices came last (added columns go at the end: outputs written before
// them read them as NULL, queries.Open).
type OnewayKey struct {
	Class         string  `parquet:"class,dict"`                                 // one-way class name
	FlowID        uint64  `parquet:"flow_id"`                                    // collector-wide id of the one-way flow; a new one when its key comes back after the class's idle_timeout_s without packets
	Flow          string  `parquet:"flow,dict"`                                  // readable one-way flow name
	FromHop       string  `parquet:"from_hop,dict"`                              // first hop of the pair
	ToHop         string  `parquet:"to_hop,dict"`                                // second hop of the pair
	IntervalStart int64   `parquet:"interval_start,timestamp(nanosecond:local)"` // start of the interval, by the time at from_hop
	IntervalS     float64 `parquet:"interval_s"`                                 // interval length
	FromHopIndex  uint8   `parquet:"from_hop_index"`                             // position of from_hop on the class's path: its index in oneway.hops (design 4.3: the hops in the order the packets travel), 0 for the first hop; NULL in outputs written before the column was added (queries.Open)
	ToHopIndex    uint8   `parquet:"to_hop_index"`                               // position of to_hop on the path, after from_hop_index
}

// OnewayLatency is one row of oneway_latency: the delays of one hop pair of
// one one-way flow over one interval, as n/sum/sumsq/min/max of delay_us,
// percentiles from a histogram, and counts per slice (slices_ms, the last
// slice unbounded). Intervals are closed only once every packet in them is
// past the reconciliation timeout (design 4.3: slots kept open for late
// observations).
type OnewayLatency struct {
	OnewayKey
	N           uint64    `parquet:"n"`                 // delivered packets (delays) in the interval
	Sum         float64   `parquet:"sum_us"`            // sum of the delays
	SumSq       float64   `parquet:"sumsq_us2"`         // sum of the squared delays
	Min         float64   `parquet:"min_us"`            // smallest delay
	Max         float64   `parquet:"max_us"`            // largest delay
	P50Us       float64   `parquet:"p50_us"`            // median delay: the nearest rank (the ⌈n/2⌉-th smallest delay) read from an HdrHistogram of ns with 2 significant digits, at most 0.79 % above it, within min and max
	P90Us       float64   `parquet:"p90_us"`            // 90th percentile delay (as p50_us: the ⌈0.9·n⌉-th smallest)
	P99Us       float64   `parquet:"p99_us"`            // 99th percentile delay (as p50_us: the ⌈0.99·n⌉-th smallest)
	SlicesMs    []float64 `parquet:"slices_ms,list"`    // upper bounds of the slices, ms
	SliceCounts []uint64  `parquet:"slice_counts,list"` // len(slices_ms)+1 counts
}

// OnewayLoss is one row of oneway_loss: what happened to the packets of one
// one-way flow that entered a hop pair (from_hop -> to_hop) in one interval
// (RFC 7680 loss; design 4.3 classification).
type OnewayLoss struct {
	OnewayKey
	Sent       uint64 `parquet:"sent"`       // seen at from_hop
	Delivered  uint64 `parquet:"delivered"`  // seen at both
	Lost       uint64 `parquet:"lost"`       // seen at from_hop and at no hop after it: lost on the way to to_hop
	Missed     uint64 `parquet:"missed"`     // passed a hop of the pair unobserved: seen at to_hop and not at from_hop, or at from_hop and a later hop and not at to_hop
	Dropped    uint64 `parquet:"dropped"`    // not observed at a hop of the pair whose probe did not report that time: its observation expired at the probe, its run had ended, or it had not reported that far when the packet was classified (probe killed, silent, never heard from)
	Duplicates uint64 `parquet:"duplicates"` // extra copies at to_hop
	Collisions uint64 `parquet:"collisions"` // signature collisions resolved by time
}

// PDUStat is one row of pdu_stats: what one probe's PDUs of one type cost
// on the probe-to-collector channel over the run, against the traffic the
// probe observed (design 1.3: one-way observations must stay near 1 % of
// the observed traffic).
type PDUStat struct {
	Probe           string  `parquet:"probe,dict"`      // probe name
	Collector       string  `parquet:"collector,dict"`  // collector name (config collectors[].name)
	PDUType         string  `parquet:"pdu_type,dict"`   // PDU type (see PDU types), or all
	PDUs            uint64  `parquet:"pdus"`            // PDUs sent (first transmissions) before the final report took the counts: the report itself and the PDUs after it (the end events, heartbeats) are not counted, the run's summary line counts them all
	Records         uint64  `parquet:"records"`         // records those PDUs carried
	Bytes           uint64  `parquet:"bytes"`           // frame bytes of first transmissions
	Retransmissions uint64  `parquet:"retransmissions"` // all types together, on the row of type "all"; those before the final report took the counts: the retries of a channel settling or lingering after it (acknowledgements lost) are not counted, the run's summary line counts them all
	ObservedBytes   uint64  `parquet:"observed_bytes"`  // IP bytes of the packets the records describe
	OverheadPct     float64 `parquet:"overhead_pct"`    // 100 * bytes / observed_bytes: the observations' cost in % of the traffic observed (0 when unknown)
	// DestroyedPDUs and DestroyedRecords: what the probe gave up
	// unacknowledged (design 1.5): PDUs older than final_timeout_s in long
	// retry mode, and the oldest once the destroyable PDUs waiting hold
	// more than the sender's backlog bound (16 MiB, pdu.DefaultMaxQueueBytes).
	// Flow definitions, events and FTP records only once they fill both
	// max_permanent_mb in memory and spool_max_mb on disk (the oldest
	// spooled first; pdu_permanent_overflow events).
	DestroyedPDUs    uint64 `parquet:"destroyed_pdus"`    // PDUs destroyed unacknowledged (long retry final timeout, backlog bound, spool bound)
	DestroyedRecords uint64 `parquet:"destroyed_records"` // records those destroyed PDUs carried: observations missing from the tables
}
