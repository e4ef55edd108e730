package tui

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/tmonbench/tmonbench/replay"
)

// reverseSpan returns the capture times (ns) the reverse flows of sel
// span: the flows rows of its probe and interface with its protocol and
// its addresses and ports swapped, that meet lo..hi (sel's own times
// widened by the slack). ok is false when flows holds none (a run still
// going has not written it). A client's SYNs retransmitted for seconds
// start its flow long before the server's: without it, both directions
// left out the first SYNs (tcp-mix lab, 10.10.1.100:60878: 2532 of
// tcpdump's 2534 packets, the SYNs 2.09 s and 1.08 s before the SYN-ACK).
func reverseSpan(ctx context.Context, db *sql.DB, sel packetSel, lo, hi int64) (rlo, rhi int64, ok bool) {
	var l, h sql.NullInt64
	err := db.QueryRowContext(ctx, `SELECT min(epoch_ns(first_seen)), max(epoch_ns(last_seen)) FROM flows
WHERE probe = ? AND (? = '' OR interface = ?) AND protocol = ?
AND src_addr = ? AND dst_addr = ? AND src_port = ? AND dst_port = ?
AND epoch_ns(first_seen) <= ? AND epoch_ns(last_seen) >= ?`,
		sel.probe, sel.iface, sel.iface, sel.proto, sel.dst, sel.src, sel.dport, sel.sport, hi, lo).Scan(&l, &h)
	if err != nil || !l.Valid || !h.Valid {
		return 0, 0, false
	}
	return l.Int64, h.Int64, true
}

// fileIfaces names the interfaces of the capture file at path, in
// file-wide order (pkt.Meta.Iface indexes it), as the replay that gave
// the whole file to its probe named them (pipeline.Assign: a pcapng's
// if_name, else if0, if1...; one name for every interface of that name).
// nil when the file has fewer than two or none is named iface (a probe of
// several files may have numbered its unnamed interfaces otherwise):
// then every interface's packets are listed, as before. Without it, a
// flow of one interface of gopacket's test202.pcapng listed the packet of
// the same addresses on another interface too (3 packets, its flows row 2).
func fileIfaces(path, iface string) []string {
	ifs, err := replay.ScanInterfaces(path)
	if err != nil || len(ifs) < 2 {
		return nil
	}
	// pipeline.Assign over one file (tui does not import the engines):
	// an interface without if_name is if<N>, N the probe's interfaces so
	// far, interfaces of one name being one
	seen := map[string]bool{}
	out := make([]string, len(ifs))
	for i, it := range ifs {
		name := it.Name
		if name == "" {
			name = fmt.Sprintf("if%d", len(seen))
		}
		seen[name] = true
		out[i] = name
	}
	if !slices.Contains(out, iface) {
		return nil
	}
	return out
}
