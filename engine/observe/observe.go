// Package observe holds one Go struct per output table, the Batch the
// collector fills with them, and the table names. These are the rows that
// land in Parquet (engine/store) and are queried with DuckDB (queries/).
//
// Column conventions (house style): snake_case names; every number with a
// unit carries it in its name (interval_s, rtt_ms, delay_us); absolute times
// are TIMESTAMP columns stored as int64 Unix nanoseconds with the
// `timestamp(nanosecond:local)` tag so DuckDB reads TIMESTAMP_NS with the
// nanoseconds intact; addresses and enums are dictionary-encoded strings.
// Schema changes add columns; they never rename one.
package observe

// Table names: the folder under --out and the DuckDB view name.
const (
	TableFlows          = "flows"
	TableFlowCounters   = "flow_counters"
	TableEvents         = "events"
	TableSizeHistograms = "size_histograms"
	TableTCPConnections = "tcp_connections"
	TableRTTSamples     = "rtt_samples"
	TableRTTHistograms  = "rtt_histograms"
	TableFTPSessions    = "ftp_sessions"
	TableFTPTransfers   = "ftp_transfers"
	TableOnewayDelays   = "oneway_delays"
	TableOnewayLatency  = "oneway_latency"
	TableOnewayLoss     = "oneway_loss"
	TablePDUStats       = "pdu_stats"
)

// Tables lists every table in the order the collector writes them.
var Tables = []string{
	TableFlows, TableFlowCounters, TableEvents, TableSizeHistograms,
	TableTCPConnections, TableRTTSamples, TableRTTHistograms, TableFTPSessions, TableFTPTransfers,
	TableOnewayDelays, TableOnewayLatency, TableOnewayLoss, TablePDUStats,
}

// Flow is one row of the flows table: one direction of one granular flow of
// one flow class, as seen at one probe interface (design 3.2, 3.10).
// Packets and Bytes are totals over the whole run.
type Flow struct {
	FlowID    uint64 `parquet:"flow_id"`        // probe-unique, assigned by the probe (design 3.2)
	Probe     string `parquet:"probe,dict"`     // probe name
	Interface string `parquet:"interface,dict"` // capture interface name within the probe
	Class     string `parquet:"class,dict"`     // flow class name from the config
	Name      string `parquet:"name"`           // readable flow name, e.g. "10.0.0.1:high>10.0.0.2:161/udp"
	IPVersion uint8  `parquet:"ip_version"`     // 4 or 6; 0 when the class does not split by it
	Protocol  uint8  `parquet:"protocol"`       // IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6)
	SrcAddr   string `parquet:"src_addr,dict"`  // "" when the class does not split by it
	DstAddr   string `parquet:"dst_addr,dict"`  // "" when the class does not split by it
	SrcPort   uint16 `parquet:"src_port"`       // 0 when absent, folded or not split by
	DstPort   uint16 `parquet:"dst_port"`       // 0 when absent, folded or not split by
	FirstSeen int64  `parquet:"first_seen,timestamp(nanosecond:local)"`
	LastSeen  int64  `parquet:"last_seen,timestamp(nanosecond:local)"`
	Packets   uint64 `parquet:"packets"` // IP packets (fragments count one each)
	Bytes     uint64 `parquet:"bytes"`   // IP total length, summed
}

// FlowCounter is one row of flow_counters (long format): one metric of one
// flow over one interval, as population/sum/sum of squares/min/max so that
// intervals and flows aggregate without losing the variance (design 1.11).
// For an event count (e.g. tcp_syn) N is the count and Sum equals N.
type FlowCounter struct {
	Probe         string  `parquet:"probe,dict"`
	FlowID        uint64  `parquet:"flow_id"`
	IntervalStart int64   `parquet:"interval_start,timestamp(nanosecond:local)"`
	IntervalS     float64 `parquet:"interval_s"` // interval length in seconds
	Metric        string  `parquet:"metric,dict"`
	N             uint64  `parquet:"n"`
	Sum           float64 `parquet:"sum"`
	SumSq         float64 `parquet:"sumsq"`
	Min           float64 `parquet:"min"`
	Max           float64 `parquet:"max"`
}

// Event is one row of events: a remarkable occurrence at a probe or the
// collector (design 1.7, 3.13), such as a truncated capture, an evicted
// flow or a transport state change.
type Event struct {
	Time     int64  `parquet:"time,timestamp(nanosecond:local)"` // capture time of the occurrence
	Source   string `parquet:"source,dict"`                      // "probe:NAME" or "collector"
	Kind     string `parquet:"kind,dict"`                        // stable machine name, e.g. capture_truncated
	Severity string `parquet:"severity,dict"`                    // info, warning or error
	Message  string `parquet:"message"`
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
	Probe         string  `parquet:"probe,dict"`
	FlowID        uint64  `parquet:"flow_id"`
	IntervalStart int64   `parquet:"interval_start,timestamp(nanosecond:local)"`
	IntervalS     float64 `parquet:"interval_s"`
	SliceLoBytes  uint32  `parquet:"slice_lo_bytes"`
	SliceHiBytes  uint32  `parquet:"slice_hi_bytes"`
	Packets       uint64  `parquet:"packets"`
}

// TCPConnection is one row of tcp_connections: one TCP connection followed
// by the probe (analysis "tcp", design 3.6, 3.11; RFC 793, RFC 7323). The
// client is the side that sent the first SYN (or, without a SYN, the side
// with the higher port). conn_state and history use Zeek's codes (conn.log)
// so engineers recognise them. Optional values are NULL when not observed.
type TCPConnection struct {
	Probe                 string   `parquet:"probe,dict"`
	Interface             string   `parquet:"interface,dict"`
	Class                 string   `parquet:"class,dict"`
	ConnID                uint64   `parquet:"conn_id"` // probe-unique
	ClientAddr            string   `parquet:"client_addr,dict"`
	ClientPort            uint16   `parquet:"client_port"`
	ServerAddr            string   `parquet:"server_addr,dict"`
	ServerPort            uint16   `parquet:"server_port"`
	StartTime             int64    `parquet:"start_time,timestamp(nanosecond:local)"`
	EndTime               int64    `parquet:"end_time,timestamp(nanosecond:local)"`
	DurationS             float64  `parquet:"duration_s"`
	HandshakeSynSynackMs  *float64 `parquet:"handshake_syn_synack_ms,optional"` // first SYN to first SYN-ACK seen at the probe
	HandshakeSynackAckMs  *float64 `parquet:"handshake_synack_ack_ms,optional"` // first SYN-ACK to the client's first ACK
	ClientPayloadBytes    uint64   `parquet:"client_payload_bytes"`             // from sequence numbers (highest reached), 64-bit
	ServerPayloadBytes    uint64   `parquet:"server_payload_bytes"`
	ClientMissingBytes    uint64   `parquet:"client_missing_bytes"` // sequence space never seen (capture holes)
	ServerMissingBytes    uint64   `parquet:"server_missing_bytes"`
	ClientPackets         uint64   `parquet:"client_packets"`
	ServerPackets         uint64   `parquet:"server_packets"`
	ClientRetransmissions uint64   `parquet:"client_retransmissions"`
	ServerRetransmissions uint64   `parquet:"server_retransmissions"`
	ClientOutOfOrder      uint64   `parquet:"client_out_of_order"`
	ServerOutOfOrder      uint64   `parquet:"server_out_of_order"`
	ClientZeroWindows     uint64   `parquet:"client_zero_windows"`
	ServerZeroWindows     uint64   `parquet:"server_zero_windows"`
	ClientWScale          int16    `parquet:"client_wscale"` // window scale shift sent in the SYN; -1 absent
	ServerWScale          int16    `parquet:"server_wscale"`
	ClientMSS             uint16   `parquet:"client_mss"` // 0 absent
	ServerMSS             uint16   `parquet:"server_mss"`
	SACKPermitted         bool     `parquet:"sack_permitted"`  // both SYNs carried SACK-permitted
	ConnState             string   `parquet:"conn_state,dict"` // Zeek: S0 S1 SF REJ S2 S3 RSTO RSTR RSTOS0 RSTRH SH SHR OTH
	History               string   `parquet:"history"`         // Zeek history letters (ShADadFfRr...)
	SawStart              bool     `parquet:"saw_start"`       // the probe saw the client's SYN
	SawEnd                bool     `parquet:"saw_end"`         // the probe saw FIN from both sides or a RST
	BoundaryOnly          bool     `parquet:"boundary_only"`   // only SYN/FIN/RST were analysed (design 3.6)
}

// RTTSample is one row of rtt_samples: one request matched with its
// response (analysis "rtt", design 3.11). Kind is icmp_echo, dns, snmp,
// ntp, tcp_handshake or tcp_ts. RTTMs is response time minus request time
// at the probe, in milliseconds.
type RTTSample struct {
	Probe       string  `parquet:"probe,dict"`
	FlowID      uint64  `parquet:"flow_id"` // flow of the request in the analysing class
	Kind        string  `parquet:"kind,dict"`
	RequestTime int64   `parquet:"request_time,timestamp(nanosecond:local)"`
	RTTMs       float64 `parquet:"rtt_ms"`
	ClientAddr  string  `parquet:"client_addr,dict"`
	ClientPort  uint16  `parquet:"client_port"`
	ServerAddr  string  `parquet:"server_addr,dict"`
	ServerPort  uint16  `parquet:"server_port"`
	Detail      string  `parquet:"detail"` // e.g. "A www.example.com NOERROR", "get-request", "echo id 8 seq 1"
}

// RTTHistogram is one row of rtt_histograms: the round trips of one kind in
// one flow and interval that fell in one slice (design 3.14: e.g. <2, 2-10,
// 10-50, >50 ms), with n/sum/sumsq/min/max of rtt_ms. The slice is
// [slice_lo_ms, slice_hi_ms); the last slice has slice_hi_ms 0 (no bound).
type RTTHistogram struct {
	Probe         string  `parquet:"probe,dict"`
	FlowID        uint64  `parquet:"flow_id"`
	Kind          string  `parquet:"kind,dict"`
	IntervalStart int64   `parquet:"interval_start,timestamp(nanosecond:local)"`
	IntervalS     float64 `parquet:"interval_s"`
	SliceLoMs     float64 `parquet:"slice_lo_ms"`
	SliceHiMs     float64 `parquet:"slice_hi_ms"`
	N             uint64  `parquet:"n"`
	Sum           float64 `parquet:"sum"`
	SumSq         float64 `parquet:"sumsq"`
	Min           float64 `parquet:"min"`
	Max           float64 `parquet:"max"`
}

// FTPSession is one row of ftp_sessions: one FTP control connection
// (analysis "ftp", RFC 959, RFC 2428).
type FTPSession struct {
	Probe      string  `parquet:"probe,dict"`
	SessionID  uint64  `parquet:"session_id"` // probe-unique
	ClientAddr string  `parquet:"client_addr,dict"`
	ClientPort uint16  `parquet:"client_port"`
	ServerAddr string  `parquet:"server_addr,dict"`
	ServerPort uint16  `parquet:"server_port"`
	StartTime  int64   `parquet:"start_time,timestamp(nanosecond:local)"`
	EndTime    int64   `parquet:"end_time,timestamp(nanosecond:local)"`
	DurationS  float64 `parquet:"duration_s"`
	User       string  `parquet:"user"`
	LoggedIn   bool    `parquet:"logged_in"` // a 230 reply was seen
	Commands   uint64  `parquet:"commands"`
	Transfers  uint64  `parquet:"transfers"`
	BytesDown  uint64  `parquet:"bytes_down"` // server to client, over all transfers
	BytesUp    uint64  `parquet:"bytes_up"`   // client to server
	LastReply  uint16  `parquet:"last_reply_code"`
	SawStart   bool    `parquet:"saw_start"` // the 220 greeting was seen
}

// FTPTransfer is one row of ftp_transfers: one data transfer of an FTP
// session (RETR, STOR, APPE, STOU, LIST, NLST, MLSD). The data connection is
// written with its TCP initiator first (the client in passive mode, the
// server's port 20 in active mode). Status: complete (2xx final reply),
// aborted (426), failed (other 4xx/5xx) or incomplete (no final reply).
type FTPTransfer struct {
	Probe          string  `parquet:"probe,dict"`
	SessionID      uint64  `parquet:"session_id"`
	Command        string  `parquet:"command,dict"`
	FileName       string  `parquet:"file_name"`         // the command's argument as sent
	Direction      string  `parquet:"direction,dict"`    // server_to_client or client_to_server
	DataMode       string  `parquet:"data_mode,dict"`    // passive or active
	ModeCommand    string  `parquet:"mode_command,dict"` // PASV, EPSV, PORT or EPRT
	DataSrcAddr    string  `parquet:"data_src_addr,dict"`
	DataSrcPort    uint16  `parquet:"data_src_port"`
	DataDstAddr    string  `parquet:"data_dst_addr,dict"`
	DataDstPort    uint16  `parquet:"data_dst_port"`
	StartTime      int64   `parquet:"start_time,timestamp(nanosecond:local)"`
	EndTime        int64   `parquet:"end_time,timestamp(nanosecond:local)"`
	DurationS      float64 `parquet:"duration_s"`
	Bytes          uint64  `parquet:"bytes"` // data connection payload in the transfer direction
	ThroughputMbps float64 `parquet:"throughput_mbps"`
	ReplyCode      uint16  `parquet:"reply_code"` // final reply (226, 426, 550, ...); 0 none
	Status         string  `parquet:"status,dict"`
}

// OnewayDelay is one row of oneway_delays (a class's oneway.records on):
// one packet between two hops of a one-way path (design 1.2, 4.3; RFC 7679
// one-way delay, RFC 7680 loss). A one-way flow is identified without probe
// or interface (design 7): by class and the granularity fields, named in
// flow. Status: delivered (seen at both hops: delay_us set), lost (seen at
// from_hop, never at to_hop: lost on this segment), missed (seen at to_hop,
// not at from_hop), dropped (the observation expired at the probe before
// reaching the collector), duplicate (a second copy at to_hop).
type OnewayDelay struct {
	Class     string   `parquet:"class,dict"`
	FlowID    uint64   `parquet:"flow_id"` // collector-wide id of the one-way flow
	Flow      string   `parquet:"flow,dict"`
	FromHop   string   `parquet:"from_hop,dict"`
	ToHop     string   `parquet:"to_hop,dict"`
	SendTime  *int64   `parquet:"send_time,optional,timestamp(nanosecond:local)"` // capture time at from_hop (last fragment for a fragmented datagram)
	RecvTime  *int64   `parquet:"recv_time,optional,timestamp(nanosecond:local)"` // capture time at to_hop
	DelayUs   *float64 `parquet:"delay_us,optional"`                              // recv_time - send_time, microseconds (clock offsets corrected)
	SizeBytes uint32   `parquet:"size_bytes"`                                     // IP datagram length
	Status    string   `parquet:"status,dict"`
	Signature uint64   `parquet:"signature"` // the packet's signature (signature_bits wide)
	// SendFirstTime and RecvFirstTime are the capture times of the first
	// fragment of a reassembled datagram at each hop (design 3.8); for an
	// unfragmented packet they equal send_time and recv_time.
	SendFirstTime *int64 `parquet:"send_first_time,optional,timestamp(nanosecond:local)"`
	RecvFirstTime *int64 `parquet:"recv_first_time,optional,timestamp(nanosecond:local)"`
}

// OnewayLatency is one row of oneway_latency: the delays of one hop pair of
// one one-way flow over one interval, as n/sum/sumsq/min/max of delay_us,
// percentiles from a histogram, and counts per slice (slices_ms, the last
// slice unbounded). Intervals are closed only once every packet in them is
// past the reconciliation timeout (design 4.3: slots kept open for late
// observations).
type OnewayLatency struct {
	Class         string    `parquet:"class,dict"`
	FlowID        uint64    `parquet:"flow_id"`
	Flow          string    `parquet:"flow,dict"`
	FromHop       string    `parquet:"from_hop,dict"`
	ToHop         string    `parquet:"to_hop,dict"`
	IntervalStart int64     `parquet:"interval_start,timestamp(nanosecond:local)"`
	IntervalS     float64   `parquet:"interval_s"`
	N             uint64    `parquet:"n"`
	Sum           float64   `parquet:"sum"`
	SumSq         float64   `parquet:"sumsq"`
	Min           float64   `parquet:"min"`
	Max           float64   `parquet:"max"`
	P50Us         float64   `parquet:"p50_us"`
	P90Us         float64   `parquet:"p90_us"`
	P99Us         float64   `parquet:"p99_us"`
	SlicesMs      []float64 `parquet:"slices_ms,list"`    // upper bounds of the slices, ms
	SliceCounts   []uint64  `parquet:"slice_counts,list"` // len(slices_ms)+1 counts
}

// OnewayLoss is one row of oneway_loss: what happened to the packets of one
// one-way flow that entered a hop pair (from_hop -> to_hop) in one interval
// (RFC 7680 loss; design 4.3 classification).
type OnewayLoss struct {
	Class         string  `parquet:"class,dict"`
	FlowID        uint64  `parquet:"flow_id"`
	Flow          string  `parquet:"flow,dict"`
	FromHop       string  `parquet:"from_hop,dict"`
	ToHop         string  `parquet:"to_hop,dict"`
	IntervalStart int64   `parquet:"interval_start,timestamp(nanosecond:local)"`
	IntervalS     float64 `parquet:"interval_s"`
	Sent          uint64  `parquet:"sent"`       // seen at from_hop
	Delivered     uint64  `parquet:"delivered"`  // seen at both
	Lost          uint64  `parquet:"lost"`       // seen at from_hop, not at to_hop
	Missed        uint64  `parquet:"missed"`     // seen at to_hop, not at from_hop
	Dropped       uint64  `parquet:"dropped"`    // observation expired at a probe
	Duplicates    uint64  `parquet:"duplicates"` // extra copies at to_hop
	Collisions    uint64  `parquet:"collisions"` // signature collisions resolved by time
}

// PDUStat is one row of pdu_stats: what one probe's PDUs of one type cost
// on the probe-to-collector channel over the run, against the traffic the
// probe observed (design 1.3: one-way observations must stay near 1 % of
// the observed traffic).
type PDUStat struct {
	Probe           string  `parquet:"probe,dict"`
	Collector       string  `parquet:"collector,dict"`
	PDUType         string  `parquet:"pdu_type,dict"`
	PDUs            uint64  `parquet:"pdus"`
	Records         uint64  `parquet:"records"`
	Bytes           uint64  `parquet:"bytes"`           // frame bytes of first transmissions
	Retransmissions uint64  `parquet:"retransmissions"` // all types together, on the row of type "all"
	ObservedBytes   uint64  `parquet:"observed_bytes"`  // IP bytes of the packets the records describe
	OverheadRatio   float64 `parquet:"overhead_ratio"`  // bytes / observed_bytes (0 when unknown)
}

// Batch collects the rows the collector produces; the store writes one
// Parquet file per table from it.
type Batch struct {
	Flows          []Flow
	FlowCounters   []FlowCounter
	Events         []Event
	SizeHistograms []SizeHistogram
	TCPConnections []TCPConnection
	RTTSamples     []RTTSample
	RTTHistograms  []RTTHistogram
	FTPSessions    []FTPSession
	FTPTransfers   []FTPTransfer
	OnewayDelays   []OnewayDelay
	OnewayLatency  []OnewayLatency
	OnewayLoss     []OnewayLoss
	PDUStats       []PDUStat
}

// Len returns the number of rows per table name.
func (b *Batch) Len() map[string]int {
	return map[string]int{
		TableFlows:          len(b.Flows),
		TableFlowCounters:   len(b.FlowCounters),
		TableEvents:         len(b.Events),
		TableSizeHistograms: len(b.SizeHistograms),
		TableTCPConnections: len(b.TCPConnections),
		TableRTTSamples:     len(b.RTTSamples),
		TableRTTHistograms:  len(b.RTTHistograms),
		TableFTPSessions:    len(b.FTPSessions),
		TableFTPTransfers:   len(b.FTPTransfers),
		TableOnewayDelays:   len(b.OnewayDelays),
		TableOnewayLatency:  len(b.OnewayLatency),
		TableOnewayLoss:     len(b.OnewayLoss),
		TablePDUStats:       len(b.PDUStats),
	}
}
