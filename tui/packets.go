package tui

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tmonbench/tmonbench/queries"
	"github.com/tmonbench/tmonbench/replay"
)

// maxPackets bounds what one Packets screen reads back.
const maxPackets = 20000

// packetSel says which packets to read back: those of a probe between two
// capture times matching the flow's fields that are set.
type packetSel struct {
	probe, iface string
	lo, hi       int64
	src, dst     string
	sport, dport int64
	proto        int64
	both         bool  // also the reverse direction
	size         int64 // IP total length to match (a one-way record), 0 any
	// The screen's title is lead, the flow's name and tail ("Packets of ",
	// "198.51.100.10:40171>10.10.1.100:37982/tcp", " so far"): fitTitle
	// shortens it at these parts and the name's, never inside an
	// address:port.
	lead, name, tail string
}

// packetsOf selects the packets of a flow row.
func packetsOf(r row) packetSel {
	return packetSel{probe: toString(r["probe"]), iface: toString(r["interface"]),
		lo: queries.Int64(r["first_seen"]), hi: queries.Int64(r["last_seen"]),
		src: toString(r["src_addr"]), dst: toString(r["dst_addr"]),
		sport: queries.Int64(r["src_port"]), dport: queries.Int64(r["dst_port"]), proto: queries.Int64(r["protocol"]),
		lead: "Packets of ", name: toString(r["name"])}
}

type capPacket struct {
	ci   gopacket.CaptureInfo
	data []byte
	pkt  gopacket.Packet
	line string
	// frame is the packet's number in its capture file (1-based, as
	// Wireshark's No. and tcpdump -#), file that file's base name: where
	// to find the packet outside the TUI
	frame uint64
	file  string
}

type packetsData struct {
	path     string
	link     layers.LinkType
	pkts     []capPacket
	read     int    // packets read from the file
	how      string // "index: seek to offset N" or "scan from the start"
	complete bool
	seqs     tcpSeqs // tcpdump's relative sequence numbers, over the packets read
}

// packetsScreen lists the packets of a flow read back from its capture
// file, like tcpdump, with the selected packet's headers and bytes.
type packetsScreen struct {
	screenBase
	sel  packetSel
	d    *packetsData
	err  string // why there are no packets to show (the load failed)
	cur  int
	top  int
	rows int
	keep *packetPlace // the packet shown when the packets were read again (load)
}

// packetPlace is where the cursor was when the packets were read again:
// its packet (capture file and frame) and its line on the screen.
type packetPlace struct {
	file  string
	frame uint64
	line  int
}

func newPackets(e *env, sel packetSel) *packetsScreen {
	return &packetsScreen{screenBase: screenBase{sid: e.newID(), title: "Packets"}, sel: sel}
}

func (p *packetsScreen) typing() bool { return false }

// load reads the packets (during a replay, from the start of the
// captures its run.json names); read again (followOutput: the output
// changed, a replay's packet index written as it ended) the cursor
// stays on its packet, on its line, when the packets read still hold it.
func (p *packetsScreen) load(e *env) tea.Cmd {
	p.keep = nil
	if p.d != nil && p.cur < len(p.d.pkts) {
		pk := p.d.pkts[p.cur]
		p.keep = &packetPlace{file: pk.file, frame: pk.frame, line: p.cur - p.top}
	}
	sel, out := p.sel, e.out
	if e.staged() {
		// a replay still running: its run.json (the captures it reads)
		// is in the staging folder the views read, the output's own is
		// none or the previous run's; its packet index comes at its end
		out = e.dbDir
	}
	return e.query(p.sid, "packets", func(ctx context.Context, db *sql.DB) (any, error) {
		return readPackets(ctx, db, out, sel)
	})
}

// fileSpan is a part of a capture file to read: replay.Span, EndFrame 0
// and no index (scan) reading to the end or past the selection's times.
type fileSpan struct {
	path string
	replay.Span
	indexed bool
	// shared: the file feeds several interfaces of the probe (a pcapng of
	// several interfaces: its packet_index rows have interface ''), so
	// its packets are sorted by interface as the replay named them
	shared bool
}

// locate finds where to read the packets of a probe interface between
// lo and hi (the selection's times, widened for both directions): with
// the packet index, the spans of each indexed capture file that can hold
// them (replay.Spans: the runs of rows whose times meet the range; a file
// whose capture time steps back may have several), else (no index, or
// one written before its min_time and max_time) the run's inputs (a file
// named after the probe, or the only one) from the start.
func locate(ctx context.Context, db *sql.DB, out string, sel packetSel, lo, hi int64) (spans []fileSpan, how string, err error) {
	// an empty interface: the file feeds several interfaces of the probe
	q := `SELECT path, epoch_ns(time), epoch_ns(min_time), epoch_ns(max_time), offset_bytes, frame, ifaces, interface FROM packet_index
WHERE probe = ? AND (? = '' OR interface = ? OR interface = '')
ORDER BY min(epoch_ns(time)) OVER (PARTITION BY path), path, frame`
	rows, err := db.QueryContext(ctx, q, sel.probe, sel.iface, sel.iface)
	var files [][]replay.IndexEntry
	if err == nil {
		for rows.Next() {
			var e replay.IndexEntry
			if err := rows.Scan(&e.Path, &e.Time, &e.MinTime, &e.MaxTime, &e.Offset, &e.Frame, &e.Ifaces, &e.Interface); err != nil {
				rows.Close()
				return nil, "", err
			}
			if n := len(files); n == 0 || files[n-1][0].Path != e.Path {
				files = append(files, nil)
			}
			files[len(files)-1] = append(files[len(files)-1], e)
		}
		rows.Close()
	}
	if len(files) > 0 {
		var where []string
		for _, es := range files {
			for _, sp := range replay.Spans(es, lo, hi) {
				spans = append(spans, fileSpan{path: es[0].Path, Span: sp, indexed: true, shared: es[0].Interface == ""})
				if sp.Start.Frame <= 1 {
					where = append(where, "from the start")
				} else {
					where = append(where, fmt.Sprintf("seek to byte %d (frame %d)", sp.Start.Offset, sp.Start.Frame))
				}
			}
		}
		switch len(spans) {
		case 0:
			return nil, "packet index: no packet captured at these times", nil
		case 1:
			return spans, "packet index: " + where[0], nil
		}
		return spans, fmt.Sprintf("packet index: %d stretches (capture time steps back): %s", len(spans), strings.Join(where, ", ")), nil
	}
	path, how, err := unindexed(out, sel, func() bool { return capturedLive(ctx, db, sel) })
	if err != nil {
		return nil, "", err
	}
	return []fileSpan{{path: path, Span: replay.Span{Start: replay.IndexEntry{Frame: 1}}}}, how, nil
}

// unindexed finds the capture file of a probe interface in an output
// without a packet index: the run's inputs (a file named after the
// probe, or the only one), read from the start. live tells, for an
// output without one (noCaptureError), whether the interface was
// captured live.
func unindexed(out string, sel packetSel, live func() bool) (path, how string, err error) {
	m, rerr := readRun(out)
	if rerr != nil {
		return "", "", fmt.Errorf("no packet index and no run.json in %s: %w", out, rerr)
	}
	var cands []string
	for _, in := range m.Inputs {
		base := filepath.Base(in.Path)
		name := strings.TrimSuffix(base, filepath.Ext(base))
		name = strings.TrimSuffix(name, filepath.Ext(name)) // x.pcap.gz
		if name == sel.probe {
			cands = append(cands, in.Path)
		}
	}
	if len(cands) == 0 && len(m.Inputs) == 1 {
		cands = append(cands, m.Inputs[0].Path)
	}
	if len(cands) == 0 && (m.Mode == modeCollector || len(m.Inputs) == 0) {
		return "", "", noCaptureError(m.Mode, sel, m.Mode == modeCollector && live())
	}
	if len(cands) != 1 {
		return "", "", fmt.Errorf("no packet index in %s and no single capture file for probe %s (replay again to write the index)", out, sel.probe)
	}
	if fi, err := os.Stat(cands[0]); cands[0] == "-" || err == nil && !fi.Mode().IsRegular() {
		// a pipe (FIFO, /dev/stdin, <(...)), read once by the run: opening it
		// again would wait for a writer, or read other data
		return "", "", fmt.Errorf("the capture of probe %s was read from a pipe (%s): its packets cannot be read back (replay a file to see them)", sel.probe, cands[0])
	}
	return cands[0], "no packet index: scan from the start", nil
}

// modeCollector is run.json's mode of a collector's output (engine/store
// ModeCollector; tui/ does not import the store).
const modeCollector = "collector"

// modeLive is the run mode of a live capture's output (run.json).
const modeLive = "live"

// noCaptureError says which capture an output without one lacks (a
// collector's: it receives the probes' counters, never their packets) and
// how to get the packets: replay that capture; for an interface a probe
// captured live (live: capturedLive), which no run keeps the packets of,
// or one that may have been (a collector's probe still running), replay
// a file tcpdump -w wrote beside it.
func noCaptureError(mode string, sel packetSel, live bool) error {
	capture := "probe " + sel.probe
	if sel.iface != "" {
		capture += " " + sel.iface
	}
	switch {
	case live:
		return noCapture(fmt.Sprintf("no capture of %s here (captured live: no run keeps the packets): replay a tcpdump -w file of it to see packets", capture))
	case mode == modeCollector:
		return noCapture(fmt.Sprintf("no capture of %s here (a collector gets counters, not packets): replay its pcap, or a tcpdump -w one if live", capture))
	case mode == modeLive:
		return noCapture(fmt.Sprintf("no capture of %s here (a live capture keeps no packets): replay a tcpdump -w file to see packets", capture))
	}
	return noCapture(fmt.Sprintf("no capture of %s here (this output lists none): run tmonbench replay on it to see packets", capture))
}

// capturedLive reports whether the events say that probe sel.probe
// captured interface sel.iface (any, when empty) live: the capture_stop
// event a live capture writes at its end, "IFACE (MTU ...): ..."
// (live.StopEvents). A probe still capturing has written none yet.
func capturedLive(ctx context.Context, db *sql.DB, sel packetSel) bool {
	var n int64
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE kind = 'capture_stop' AND source = 'probe:' || ?
AND (? = '' OR starts_with(message, ? || ' (MTU '))`, sel.probe, sel.iface, sel.iface).Scan(&n)
	return err == nil && n > 0
}

// noCapture is the error of an output that has no capture file to read
// packets from: not a failure, the Packets screen says it in one line.
type noCapture string

func (e noCapture) Error() string { return string(e) }

func readPackets(ctx context.Context, db *sql.DB, out string, sel packetSel) (*packetsData, error) {
	slack := int64(time.Second)
	lo, hi := sel.lo, sel.hi
	if sel.both { // the reverse flow starts and ends around this one
		lo, hi = lo-slack, hi+slack
		if rlo, rhi, ok := reverseSpan(ctx, db, sel, lo, hi); ok {
			lo, hi = min(lo, rlo), max(hi, rhi)
		}
	}
	spans, how, err := locate(ctx, db, out, sel, lo, hi)
	if err != nil {
		return nil, err
	}
	d := &packetsData{how: how, complete: true, seqs: tcpSeqs{}}
	m, _ := readRun(out) // no run.json: no sizes to compare
	for _, sp := range spans {
		if d.path == "" {
			d.path = sp.path
		}
		if err := captureChanged(sp.path, m); err != nil {
			return nil, err
		}
		if err := d.readSpan(ctx, sp, sel, lo, hi, slack); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("capture file %s is missing: it moved or was deleted since the replay that wrote %s (replay it again from where it is now to see packets)", sp.path, out)
			}
			return nil, err
		}
		if !d.complete {
			break
		}
	}
	return d, nil
}

// captureChanged returns an error when the capture file at path (as the
// packet index names it: absolute) is not the size run.json recorded for
// it (size_bytes): another file was written in its place since the run,
// and the index's offsets would read garbage from it ("captured length
// 869225268 > 268435456: capture malformed"). nil when the size is the
// same, the file is missing (readSpan says so) or run.json does not list
// it (the index alone).
func captureChanged(path string, m runManifest) error {
	fi, err := os.Stat(path)
	if err != nil {
		return nil
	}
	for _, in := range m.Inputs {
		same := in.Path == path || !filepath.IsAbs(in.Path) && strings.HasSuffix(path, string(filepath.Separator)+filepath.Clean(in.Path))
		if same && in.SizeBytes > 0 && fi.Size() != in.SizeBytes {
			return fmt.Errorf("capture file %s changed since the run (size %d bytes, was %d): packets cannot be read back (replay it again to see them)", path, fi.Size(), in.SizeBytes)
		}
	}
	return nil
}

// readSpan appends the selected packets captured in [lo, hi] of one span
// of a capture file; without an index it stops past hi+slack.
func (d *packetsData) readSpan(ctx context.Context, sp fileSpan, sel packetSel, lo, hi, slack int64) error {
	e := sp.Start
	f, err := replay.OpenAt(sp.path, e.Offset, e.Frame, e.Ifaces)
	if errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err != nil {
		return fmt.Errorf("open capture: %w", err)
	}
	defer f.Close()
	var ifaces []string // the file's interfaces named as the probe's, when it feeds several
	if sp.shared && sel.iface != "" {
		ifaces = fileIfaces(sp.path, sel.iface)
	}
	for {
		if d.read%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		data, m, err := f.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			d.how += " · " + err.Error()
			return nil
		}
		if sp.EndFrame != 0 && m.Frame >= sp.EndFrame {
			return nil
		}
		d.read++
		if !sp.indexed && m.TimeNs > hi+slack {
			return nil
		}
		if m.TimeNs < lo || m.TimeNs > hi {
			continue
		}
		if ifaces != nil && (int(m.Iface) >= len(ifaces) || ifaces[m.Iface] != sel.iface) {
			continue // the same addresses on another interface of the file
		}
		lt := layers.LinkType(m.LinkType)
		pk := gopacket.NewPacket(data, lt, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
		if !sel.matches(pk) {
			if both := sel; !sel.both {
				// the other direction of the connection sets the
				// relative sequence numbers' bases as in tcpdump
				// over the file
				if both.both = true; both.matches(pk) {
					d.seqs.segment(pk)
				}
			}
			continue
		}
		if len(d.pkts) >= maxPackets {
			d.complete = false
			return nil
		}
		buf := append([]byte(nil), data...)
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, m.TimeNs).UTC(), CaptureLength: int(m.CapLen), Length: int(m.WireLen)}
		pk = gopacket.NewPacket(buf, lt, gopacket.Default)
		d.link = lt
		d.pkts = append(d.pkts, capPacket{ci: ci, data: buf, pkt: pk, line: tcpdumpLine(ci, pk, d.seqs), frame: m.Frame, file: filepath.Base(sp.path)})
	}
}

// matches tells whether a packet belongs to the selection: its IP
// addresses, ports and protocol, where the selection sets them.
func (s packetSel) matches(pk gopacket.Packet) bool {
	var src, dst string
	var proto, iplen int64
	switch ip := pk.NetworkLayer().(type) {
	case *layers.IPv4:
		src, dst, proto, iplen = ip.SrcIP.String(), ip.DstIP.String(), int64(ip.Protocol), int64(ip.Length)
	case *layers.IPv6:
		src, dst, proto, iplen = ip.SrcIP.String(), ip.DstIP.String(), int64(ip.NextHeader), int64(ip.Length)+40
	default:
		return false
	}
	var sp, dp int64
	switch t := pk.TransportLayer().(type) {
	case *layers.TCP:
		sp, dp = int64(t.SrcPort), int64(t.DstPort)
	case *layers.UDP:
		sp, dp = int64(t.SrcPort), int64(t.DstPort)
	}
	if s.size != 0 && iplen != s.size {
		return false
	}
	if s.proto != 0 && proto != s.proto {
		return false
	}
	dir := func(a, b string, ap, bp int64) bool {
		return (s.src == "" || s.src == a) && (s.dst == "" || s.dst == b) &&
			(s.sport == 0 || s.sport == ap) && (s.dport == 0 || s.dport == bp)
	}
	return dir(src, dst, sp, dp) || (s.both && dir(dst, src, dp, sp))
}

// oneWay tells whether the selection has a direction: its reverse (r)
// selects other packets. A flow of a class that keeps no addresses and no
// ports (granularity [protocol]) matches both directions already.
func (s packetSel) oneWay() bool { return s.src != s.dst || s.sport != s.dport }

// tcpSeqs holds tcpdump's bases for relative TCP sequence numbers
// (print-tcp.c, without -S), one entry for both directions of a
// connection: the first segment with ACK set (or any SYN-ACK) records the
// bases and prints absolute numbers; the later ones print seq and ack
// relative to them (the handshake's third segment: seq 1, ack 1). A
// segment without ACK prints absolute numbers and records nothing.
type tcpSeqs map[tcpPair]*tcpBase

// tcpPair is a connection's endpoints in tcpdump's order: the lower port
// first (the lower address when the ports are equal).
type tcpPair struct {
	a, b netip.AddrPort
}

// tcpBase is the sequence number base of each side of a tcpPair.
type tcpBase struct{ a, b uint32 }

// rel returns seq and ack as tcpdump prints them for a segment from src to
// dst with flags syn and ack (ackOn: the ACK flag).
func (s tcpSeqs) rel(src, dst netip.AddrPort, syn, ackOn bool, seq, ack uint32) (uint32, uint32) {
	if s == nil || !ackOn {
		return seq, ack
	}
	rev := src.Port() > dst.Port() || src.Port() == dst.Port() && src.Addr().Compare(dst.Addr()) > 0
	k := tcpPair{src, dst}
	if rev {
		k = tcpPair{dst, src}
	}
	b, ok := s[k]
	if !ok || syn {
		if rev {
			s[k] = &tcpBase{a: ack - 1, b: seq}
		} else {
			s[k] = &tcpBase{a: seq, b: ack - 1}
		}
		return seq, ack
	}
	if rev {
		return seq - b.b, ack - b.a
	}
	return seq - b.a, ack - b.b
}

// segment returns the TCP segment of pk with its sequence and
// acknowledgement numbers as tcpdump prints them (through s; absolute with
// a nil s), false when pk holds no TCP segment. The endpoints are the IP
// header's bytes (an IPv4-mapped IPv6 address stays IPv6, as in tcpdump).
func (s tcpSeqs) segment(pk gopacket.Packet) (t *layers.TCP, seq, ack uint32, ok bool) {
	t, ok = pk.TransportLayer().(*layers.TCP)
	if !ok {
		return nil, 0, 0, false
	}
	var src, dst netip.Addr
	switch ip := pk.NetworkLayer().(type) {
	case *layers.IPv4:
		src, _ = netip.AddrFromSlice(ip.SrcIP)
		dst, _ = netip.AddrFromSlice(ip.DstIP)
	case *layers.IPv6:
		src, _ = netip.AddrFromSlice(ip.SrcIP)
		dst, _ = netip.AddrFromSlice(ip.DstIP)
	default:
		return nil, 0, 0, false
	}
	seq, ack = s.rel(netip.AddrPortFrom(src, uint16(t.SrcPort)), netip.AddrPortFrom(dst, uint16(t.DstPort)), t.SYN, t.ACK, t.Seq, t.Ack)
	return t, seq, ack, true
}

// tcpdumpLine prints a packet the way tcpdump -n does, TCP sequence
// numbers relative through seqs (nil: absolute, as tcpdump -S).
func tcpdumpLine(ci gopacket.CaptureInfo, pk gopacket.Packet, seqs tcpSeqs) string {
	ts := ci.Timestamp.Format("15:04:05.000000")
	var src, dst, fam string
	switch ip := pk.NetworkLayer().(type) {
	case *layers.IPv4:
		src, dst, fam = ip.SrcIP.String(), ip.DstIP.String(), "IP"
		if ip.Flags&layers.IPv4MoreFragments != 0 || ip.FragOffset != 0 {
			return fmt.Sprintf("%s IP %s > %s: ip-proto-%d fragment (offset %d, more %v), length %d", ts, src, dst, ip.Protocol, int(ip.FragOffset)*8, ip.Flags&layers.IPv4MoreFragments != 0, ip.Length)
		}
	case *layers.IPv6:
		src, dst, fam = ip.SrcIP.String(), ip.DstIP.String(), "IP6"
	default:
		return fmt.Sprintf("%s %s, length %d", ts, pk.Layers()[0].LayerType(), ci.Length)
	}
	if t, seq, ack, ok := seqs.segment(pk); ok {
		flags := ""
		for _, f := range []struct {
			on bool
			c  string
		}{{t.SYN, "S"}, {t.FIN, "F"}, {t.RST, "R"}, {t.PSH, "P"}, {t.URG, "U"}, {t.ECE, "E"}, {t.CWR, "W"}, {t.ACK, "."}} {
			if f.on {
				flags += f.c
			}
		}
		n := wirePayload(pk, int(t.DataOffset)*4, len(t.Payload))
		// tcpdump's rule: a sequence number when the segment carries data
		// or a SYN, FIN or RST
		s := fmt.Sprintf("%s %s %s.%d > %s.%d: Flags [%s]", ts, fam, src, t.SrcPort, dst, t.DstPort, flags)
		if t.SYN || t.FIN || t.RST {
			s += fmt.Sprintf(", seq %d", seq)
		}
		if n > 0 {
			s = fmt.Sprintf("%s %s %s.%d > %s.%d: Flags [%s], seq %d:%d", ts, fam, src, t.SrcPort, dst, t.DstPort, flags, seq, seq+uint32(n))
		}
		if t.ACK {
			s += fmt.Sprintf(", ack %d", ack)
		}
		return s + fmt.Sprintf(", win %d, length %d", t.Window, n)
	}
	if t, ok := pk.TransportLayer().(*layers.UDP); ok {
		return fmt.Sprintf("%s %s %s.%d > %s.%d: UDP, length %d", ts, fam, src, t.SrcPort, dst, t.DstPort, wirePayload(pk, 8, len(t.Payload)))
	}
	if ic, ok := pk.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4); ok {
		return fmt.Sprintf("%s IP %s > %s: ICMP %s, id %d, seq %d, length %d", ts, src, dst, ic.TypeCode, ic.Id, ic.Seq, len(ic.Payload)+8)
	}
	if ic, ok := pk.Layer(layers.LayerTypeICMPv6).(*layers.ICMPv6); ok {
		return fmt.Sprintf("%s IP6 %s > %s: ICMP6, %s, length %d", ts, src, dst, ic.TypeCode, len(ic.Payload)+4)
	}
	return fmt.Sprintf("%s %s %s > %s: %s, length %d", ts, fam, src, dst, pk.NetworkLayer().LayerPayload(), ci.Length)
}

func (p *packetsScreen) update(e *env, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case dataMsg:
		if msg.err != nil {
			var nc noCapture
			switch {
			case errors.As(msg.err, &nc) && msg.tag == "packets":
				e.status = "" // the screen's body says it, once
			case errors.As(msg.err, &nc):
				e.status = string(nc)
			default:
				e.status = ""
				e.setErr(msg.err)
			}
			if msg.tag == "packets" {
				p.err = firstLine(msg.err.Error())
			}
			return nil
		}
		switch v := msg.v.(type) {
		case *packetsData:
			cur, top := 0, 0
			if k := p.keep; k != nil {
				for i, pk := range v.pkts {
					if pk.file == k.file && pk.frame == k.frame {
						cur, top = i, max(i-k.line, 0)
						break
					}
				}
			}
			if p.err != "" { // read again (followOutput): its failure is over
				e.setErr(nil)
			}
			p.d, p.cur, p.top, p.err, p.keep = v, cur, top, "", nil
			e.status = fmt.Sprintf("%s from %s (%s; %d read)", packetCount(len(v.pkts)), filepath.Base(v.path), v.how, v.read)
			if !v.complete {
				e.status += fmt.Sprintf(" · first %d only", maxPackets)
			}
		case string:
			e.status = v
		}
	case tea.KeyMsg:
		if p.d == nil {
			return nil
		}
		k := e.keys
		n := len(p.d.pkts)
		switch {
		case key.Matches(msg, k.Down):
			p.cur = min(p.cur+1, n-1)
		case key.Matches(msg, k.Up):
			p.cur = max(p.cur-1, 0)
		case key.Matches(msg, k.PageDown):
			p.cur = min(p.cur+p.rows, n-1)
		case key.Matches(msg, k.PageUp):
			p.cur = max(p.cur-p.rows, 0)
		case key.Matches(msg, k.Top):
			p.cur = 0
		case key.Matches(msg, k.Bottom):
			p.cur = n - 1
		case key.Matches(msg, k.BothDirections) && !p.sel.oneWay():
			e.status = k.BothDirections.Help().Key + ": this flow's class keeps no addresses or ports: its packets are both directions already"
		case key.Matches(msg, k.BothDirections):
			p.sel.both = !p.sel.both
			p.d = nil // w must not write the other direction's packets under this name
			return p.load(e)
		case key.Matches(msg, k.Write):
			return p.write(e)
		}
		p.cur = max(p.cur, 0)
	}
	return nil
}

// write saves the packets as a classic pcap (ns timestamps, the capture's
// link type) in the current folder, for Wireshark; not in --out, which
// holds only tmonbench's tables. The name tells the flow's probe, start
// and direction (one, both); an existing file is never replaced: a
// number is added. With no packet listed nothing is written.
func (p *packetsScreen) write(e *env) tea.Cmd {
	d, sel := p.d, p.sel
	if len(d.pkts) == 0 {
		e.status = "w: nothing written, no packet listed (a pcap needs at least one for its link type)"
		return nil
	}
	return e.query(p.sid, "write", func(ctx context.Context, _ *sql.DB) (any, error) {
		dir := "one"
		if sel.both || !sel.oneWay() {
			dir = "both"
		}
		base := fmt.Sprintf("tmonbench-%s-%s-%s", sanitize(sel.probe), time.Unix(0, sel.lo).UTC().Format("20060102T150405.000000000"), dir)
		fh, path, err := createNew(base, ".pcap")
		if err != nil {
			return nil, err
		}
		w := pcapgo.NewWriterNanos(fh)
		if err := w.WriteFileHeader(262144, d.link); err != nil {
			fh.Close()
			return nil, err
		}
		for _, pk := range d.pkts {
			if err := w.WritePacket(pk.ci, pk.data); err != nil {
				fh.Close()
				return nil, err
			}
		}
		if err := fh.Close(); err != nil {
			return nil, err
		}
		return "wrote " + packetCount(len(d.pkts)) + " to " + path, nil
	})
}

// createNew creates base+ext in the current folder, or base-2+ext,
// base-3+ext … when it exists (O_EXCL: never an existing file).
func createNew(base, ext string) (*os.File, string, error) {
	for i := 1; ; i++ {
		name := base + ext
		if i > 1 {
			name = fmt.Sprintf("%s-%d%s", base, i, ext)
		}
		path, err := filepath.Abs(name)
		if err != nil {
			return nil, "", err
		}
		fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, os.ErrExist) && i < 1000 {
			continue
		}
		return fh, path, err
	}
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ' ' {
			return '_'
		}
		return r
	}, s)
}

func (p *packetsScreen) view(e *env, w, h int) string {
	st := e.st
	if p.d == nil {
		if p.err != "" {
			return st.section.Render(p.sel.fitTitle(w)) + "\n" + ansi.Wordwrap(p.err, w, "")
		}
		return st.dim.Render("reading packets …")
	}
	var b strings.Builder
	dir := "one direction (r: both)"
	switch {
	case !p.sel.oneWay():
		dir = "both directions"
	case p.sel.both:
		dir = "both directions (r: one)"
	}
	// the header wrapped between its items: at 80 columns one line lost
	// "w writes a pcap" and the r of "(r: both)"; the title cut only to
	// keep its count on its line (cut to half the width, a 52-character
	// flow name lost its protocol at 100 columns: ".../t…"), at whole
	// parts (fitTitle: cut at 60 columns, "…:37…" read as port 37)
	count := packetCount(len(p.d.pkts))
	title := p.sel.fitTitle(w - 2 - ansi.StringWidth(count))
	head := strings.Split(wrapItems(w, " · ", fmt.Sprintf("%s  %s", title, count), dir, "w writes a pcap"), "\n")
	for i, l := range head {
		if i == 0 && strings.HasPrefix(l, title) {
			b.WriteString(st.section.Render(title) + st.dim.Render(l[len(title):]) + "\n")
		} else {
			b.WriteString(st.dim.Render(l) + "\n")
		}
	}
	if len(p.d.pkts) == 0 {
		b.WriteString(st.dim.Render("  (no packet of this flow in the capture file between its first and last seen times)"))
		return b.String()
	}
	pk := p.d.pkts[p.cur]
	hdr := headerLines(pk.pkt)
	hexLines := strings.Split(strings.TrimRight(hex.Dump(pk.data), "\n"), "\n")
	paneH := min(len(hdr)+1+min(len(hexLines), 8), h/2)
	p.rows = max(h-len(head)-paneH-1, 3)
	if p.cur < p.top {
		p.top = p.cur
	}
	if p.cur >= p.top+p.rows {
		p.top = p.cur - p.rows + 1
	}
	digits := 5 // the frame numbers' column, as wide as the largest
	for _, pk := range p.d.pkts {
		digits = max(digits, len(strconv.FormatUint(pk.frame, 10)))
	}
	for i := p.top; i < len(p.d.pkts) && i < p.top+p.rows; i++ {
		line := fmt.Sprintf("%*d %s", digits, p.d.pkts[i].frame, p.d.pkts[i].line)
		if i == p.cur {
			line = st.selected.Render(pad(line, w))
		}
		b.WriteString(cut(line, w) + "\n")
	}
	for i := len(p.d.pkts); i < p.top+p.rows; i++ {
		b.WriteString("\n")
	}
	b.WriteString(st.section.Render(fmt.Sprintf("── frame %d of %s (%d of %d): %d bytes captured, %d on the wire ",
		pk.frame, pk.file, p.cur+1, len(p.d.pkts), pk.ci.CaptureLength, pk.ci.Length)) + "\n")
	for _, l := range hdr {
		b.WriteString(cut(l, w) + "\n")
	}
	for i, l := range hexLines {
		if i >= paneH-len(hdr)-1 {
			b.WriteString(st.dim.Render(fmt.Sprintf("… %d more bytes", len(pk.data)-i*16)))
			break
		}
		b.WriteString(st.dim.Render(l) + "\n")
	}
	return b.String()
}
