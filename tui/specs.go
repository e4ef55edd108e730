package tui

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/queries"
)

// The table screens. Each links back to its flow with enter.

func flowsSpec() *tableSpec {
	return &tableSpec{
		title: "Flows", table: observe.TableFlows,
		cols: []string{"probe", "interface", "class", "name", "packets", "bytes", "first_seen", "last_seen", "flow_id"},
		sort: "bytes", desc: true, timeLo: "first_seen", timeHi: "last_seen",
		key: []string{"name"},
		ep: queries.Endpoints{SrcAddr: "src_addr", DstAddr: "dst_addr", SrcPort: "src_port", DstPort: "dst_port",
			Proto: "protocol", IPVersion: "ip_version"},
		drill: func(e *env, r row) tea.Cmd {
			return pushCmd(newDetail(e, flowRef{probe: toString(r["probe"]), flowID: queries.Int64(r["flow_id"])}))
		},
		packets: func(e *env, r row) tea.Cmd {
			return pushCmd(newPackets(e, packetsOf(r)))
		},
	}
}

// tcpSpec lists connections in Zeek conn.log's order (endpoints,
// duration, bytes, state): at 80 columns the client, the server, the
// state, the duration and the payload bytes each way show, the round trip
// (irtt_ms) and the retransmissions next, under Zeek's shorter names
// (orig_bytes: the client's payload bytes; orig_retx its
// retransmissions), the endpoints staying at the left when the view
// scrolls (40 columns: at most half of 80).
func tcpSpec() *tableSpec {
	return &tableSpec{
		title: "TCP", table: observe.TableTCPConnections,
		cols: []string{"client_addr", "client_port", "server_addr", "server_port", "conn_state", "duration_s",
			"client_payload_bytes", "server_payload_bytes", "irtt_ms", "client_retransmissions", "server_retransmissions",
			"start_time", "probe", "class", "history"},
		headers: map[string]string{"client_addr": "client", "client_port": "port", "server_addr": "server", "server_port": "port",
			"conn_state": "state", "client_payload_bytes": "orig_bytes", "server_payload_bytes": "resp_bytes",
			"client_retransmissions": "orig_retx", "server_retransmissions": "resp_retx"},
		sort: "start_time", timeLo: "start_time", timeHi: "end_time",
		key: []string{"client_addr", "client_port", "server_addr", "server_port"},
		// the round trip wherever the probe sits, as the tcp query's
		// irtt_ms: tshark's initial_rtt, the last SYN to the handshake's
		// ACK (handshake_syn_synack_ms, from the first SYN to the first
		// SYN-ACK, is one only beside the client, without lost SYNs)
		derived: "handshake_rtt_ms + handshake_synack_ack_ms AS irtt_ms",
		ep:      queries.Endpoints{SrcAddr: "client_addr", DstAddr: "server_addr", SrcPort: "client_port", DstPort: "server_port", Proto: "6"},
		drill: func(e *env, r row) tea.Cmd {
			return resolveFlow(e, endpoints{probe: toString(r["probe"]), iface: toString(r["interface"]), class: toString(r["class"]),
				a: toString(r["client_addr"]), ap: queries.Int64(r["client_port"]), b: toString(r["server_addr"]), bp: queries.Int64(r["server_port"]),
				proto: 6, lo: queries.Int64(r["start_time"]), hi: queries.Int64(r["end_time"])})
		},
	}
}

// ftpSpec lists ftp_transfers with the class beside the probe: a control
// connection two classes with ftp follow is a transfer row per class.
func ftpSpec() *tableSpec {
	return &tableSpec{
		title: "FTP", table: observe.TableFTPTransfers,
		cols: []string{"probe", "class", "session_id", "command", "file_name", "bytes", "duration_s", "throughput_mbps", "data_mode",
			"mode_command", "status", "reply_code", "start_time", "data_src_addr", "data_src_port", "data_dst_addr", "data_dst_port"},
		sort: "bytes", desc: true, timeLo: "start_time", timeHi: "end_time",
		key: []string{"file_name"},
		ep:  queries.Endpoints{SrcAddr: "data_src_addr", DstAddr: "data_dst_addr", SrcPort: "data_src_port", DstPort: "data_dst_port", Proto: "6"},
		drill: func(e *env, r row) tea.Cmd {
			return resolveFlow(e, endpoints{probe: toString(r["probe"]),
				a: toString(r["data_src_addr"]), ap: queries.Int64(r["data_src_port"]), b: toString(r["data_dst_addr"]), bp: queries.Int64(r["data_dst_port"]),
				proto: 6, lo: queries.Int64(r["start_time"]), hi: queries.Int64(r["end_time"])})
		},
	}
}

func rttSpec() *tableSpec {
	return &tableSpec{
		title: "RTT", table: observe.TableRTTSamples,
		cols: []string{"probe", "kind", "proto", "request_time", "rtt_ms", "client_addr", "client_port", "server_addr", "server_port", "detail", "flow_id"},
		sort: "rtt_ms", desc: true, timeLo: "request_time", timeHi: "request_time",
		// proto is the transport (Zeek's tcp, udp, icmp): its IP protocol
		// number for icmp, icmp6, tcp, udp, proto N (icmp of an IPv6 pair:
		// ICMPv6)
		ep: queries.Endpoints{SrcAddr: "client_addr", DstAddr: "server_addr", SrcPort: "client_port", DstPort: "server_port",
			Proto: "CASE proto WHEN 'tcp' THEN 6 WHEN 'udp' THEN 17 WHEN 'icmp' THEN (CASE WHEN contains(client_addr, ':') THEN 58 ELSE 1 END) END"},
		drill: func(e *env, r row) tea.Cmd {
			return pushCmd(newDetail(e, flowRef{probe: toString(r["probe"]), flowID: queries.Int64(r["flow_id"])}))
		},
	}
}

func onewaySpec() *tableSpec {
	return &tableSpec{
		title: "One-way", table: observe.TableOnewayDelays, once: true,
		cols: []string{"class", "flow", "from_hop", "to_hop", "send_time", "delay_us", "size_bytes", "status", "signature"},
		sort: "send_time", timeLo: "send_time", timeHi: "send_time",
		drill: func(e *env, r row) tea.Cmd {
			return resolveOnewayFlow(e, toString(r["flow"]), toString(r["from_hop"]), queries.Int64(r["send_time"]))
		},
		packets: func(e *env, r row) tea.Cmd {
			// the packet behind one delay value, at the sending hop
			t := queries.Int64(r["send_time"])
			if t == 0 {
				t = queries.Int64(r["recv_time"])
			}
			// one-way times travel as whole µs: the packet is within the µs
			return pushCmd(newPackets(e, packetSel{probe: toString(r["from_hop"]), lo: t, hi: t + 999, size: queries.Int64(r["size_bytes"]),
				lead: "packet of ", name: toString(r["flow"]), tail: " at " + toString(r["from_hop"])}))
		},
	}
}

func eventsSpec() *tableSpec {
	return &tableSpec{
		title: "Events", table: observe.TableEvents,
		cols: []string{"time", "source", "severity", "kind", "message"},
		sort: "time", timeLo: "time", timeHi: "time", long: true,
		drill: func(e *env, r row) tea.Cmd {
			// an event links to the flows active around it: brush ±5 s
			t := queries.Int64(r["time"])
			e.brush = brush{lo: t - 5e9, hi: t + 5e9}
			e.brushGen++
			return func() tea.Msg { return switchMsg{tab: 1} }
		},
	}
}

func pushCmd(s screen) tea.Cmd { return func() tea.Msg { return pushMsg{s: s} } }

// flowRef names one flow: a probe's flow id.
type flowRef struct {
	probe  string
	flowID int64
}

// endpoints describe a connection to find the flow of.
type endpoints struct {
	probe, iface, class string
	a, b                string
	ap, bp              int64
	proto               int64
	lo, hi              int64 // time span
}

// resolveFlow finds the flow carrying a connection (either direction; the
// one with more bytes, in the given class if it has one) and opens it.
// The screen is made here, in Update's goroutine (it takes an id from e);
// its query runs once it is shown.
func resolveFlow(e *env, ep endpoints) tea.Cmd {
	return pushCmd(newDetailOf(e, ep))
}

// findFlow is the query behind resolveFlow.
func findFlow(ctx context.Context, db *sql.DB, ep endpoints) (flowRef, error) {
	q := `SELECT probe, flow_id FROM flows
WHERE probe = ? AND protocol = ?
  AND ((src_addr = ? AND src_port = ? AND dst_addr = ? AND dst_port = ?)
    OR (src_addr = ? AND src_port = ? AND dst_addr = ? AND dst_port = ?))
  AND (? = '' OR interface = ?)
  AND epoch_ns(first_seen) <= ? AND epoch_ns(last_seen) >= ?
ORDER BY (class = ?) DESC, bytes DESC, flow_id LIMIT 1`
	var ref flowRef
	slack := int64(2 * time.Second)
	err := db.QueryRowContext(ctx, q, ep.probe, ep.proto, ep.a, ep.ap, ep.b, ep.bp, ep.b, ep.bp, ep.a, ep.ap,
		ep.iface, ep.iface, ep.hi+slack, ep.lo-slack, ep.class).Scan(&ref.probe, &ref.flowID)
	if errors.Is(err, sql.ErrNoRows) {
		return ref, fmt.Errorf("this connection: %w (its class may not keep ports)", errNoFlowRow)
	}
	return ref, err
}

// resolveOnewayFlow opens the flow of a one-way record at its sending hop:
// the flow of that probe whose name is the one-way flow's, around the
// send time.
func resolveOnewayFlow(e *env, name, hop string, t int64) tea.Cmd {
	return pushCmd(newDetailOfOneway(e, name, hop, t))
}

// header is the name a column's header shows: its short name (headers),
// else the column's.
func (s *tableSpec) header(col string) string {
	if h, ok := s.headers[col]; ok {
		return h
	}
	return col
}

// aka says a column's header name in the column chooser when it differs,
// "" otherwise.
func (s *tableSpec) aka(col string) string {
	if h := s.header(col); h != col {
		return "header " + h
	}
	return ""
}

// withDerived returns the FROM item of a table source src (a
// queries.TableSource, or a live table when live) with the derived
// columns added (a subquery), and the row-key columns it selects
// besides the table's own, which are no columns to show: the keys
// (queries.RowKeys, a live table's rowid) are virtual and a subquery's *
// leaves them out. Without derived columns it returns src.
func withDerived(src, derived string, live bool) (string, []string) {
	if derived == "" {
		return src, nil
	}
	keys := queries.RowKeys
	if live {
		keys = []string{"rowid"}
	}
	return "(SELECT *, " + strings.Join(keys, ", ") + ", " + derived + " FROM " + src + ")", keys
}
