package tui

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tmonbench/tmonbench/internal/testenv"
	"github.com/tmonbench/tmonbench/queries"
)

// pcapOpen opens a pcap with pcapgo, closed with the test.
func pcapOpen(t *testing.T, path string) *pcapgo.Reader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return r
}

// pcapRead reads a pcap: its packet count and link type.
func pcapRead(t *testing.T, path string) (int, layers.LinkType) {
	t.Helper()
	r := pcapOpen(t, path)
	n := 0
	for {
		_, _, err := r.ReadPacketData()
		if err == io.EOF {
			return n, r.LinkType()
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
}

// pcaps lists the .pcap files of dir.
func pcaps(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestWriteEmptyPackets: w on a Packets screen that lists no packet
// writes no file (a pcap of none would carry link type 0) and the status
// line says why.
func TestWriteEmptyPackets(t *testing.T) {
	out := replayed(t, ftpLab)
	dir := t.TempDir()
	t.Chdir(dir)
	m, press, expect := screenModel(t, out)
	press("4", "enter", "p")
	expect("packets", "3624 packets")
	ps := m.active().(*packetsScreen)
	// the same flow's time span, an address no packet has
	sel := ps.sel
	sel.src, sel.name = "192.0.2.1", "nobody"
	drive(t, m, pushMsg{s: newPackets(m.e, sel)})
	expect("empty", "0 packets", "no packet of this flow")
	press("w")
	expect("w", "nothing written, no packet listed")
	if got := pcaps(t, dir); len(got) != 0 {
		t.Fatalf("w on no packets wrote %v", got)
	}
}

// TestWriteNamesByDirection: w, then r (both directions: 4438 packets)
// and w again write two files with different names (…-one.pcap,
// …-both.pcap) holding what each screen listed; w once more in one
// direction adds …-one-2.pcap and leaves the first file as it was.
func TestWriteNamesByDirection(t *testing.T) {
	out := replayed(t, ftpLab)
	dir := t.TempDir()
	t.Chdir(dir)
	m, press, expect := screenModel(t, out)
	press("4", "enter", "p")
	expect("packets", "3624 packets", "one direction")
	written := func() string {
		t.Helper()
		path, ok := strings.CutPrefix(m.e.status, "wrote ")
		if !ok || m.e.errMsg != "" {
			t.Fatalf("status %q, error %q", m.e.status, m.e.errMsg)
		}
		_, path, _ = strings.Cut(path, " packets to ")
		return path
	}
	press("w")
	one := written()
	press("r")
	expect("both", "4438 packets", "both directions")
	press("w")
	both := written()
	press("r")
	expect("one again", "3624 packets", "one direction")
	before, err := os.ReadFile(one)
	if err != nil {
		t.Fatal(err)
	}
	press("w")
	one2 := written()
	if !strings.HasSuffix(one, "-one.pcap") || !strings.HasSuffix(both, "-both.pcap") || one2 != strings.TrimSuffix(one, ".pcap")+"-2.pcap" {
		t.Fatalf("names: %s, %s, %s", one, both, one2)
	}
	for path, want := range map[string]int{one: 3624, both: 4438, one2: 3624} {
		if n, lt := pcapRead(t, path); n != want || lt != layers.LinkTypeEthernet {
			t.Errorf("%s: %d packets, link type %v; want %d, Ethernet", filepath.Base(path), n, lt, want)
		}
	}
	after, err := os.ReadFile(one)
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Fatalf("%s was rewritten", one)
	}
	if got := pcaps(t, dir); len(got) != 3 {
		t.Fatalf("files %v, want 3", got)
	}
}

// outputAs copies a replay's output as a collector's or a live run's
// would be: no packet_index (neither keeps packets) and run.json with that
// mode and no inputs.
func outputAs(t *testing.T, replayOut, mode string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "collector-out")
	err := filepath.WalkDir(replayOut, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(replayOut, p)
		if d.IsDir() {
			if d.Name() == "packet_index" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if rel == "run.json" {
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				return err
			}
			m["mode"], m["inputs"] = mode, []any{}
			if b, err = json.Marshal(m); err != nil {
				return err
			}
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestPacketsCollectorOutput: p on a flow of a collector's output (no
// capture file) says in one line on the screen which capture is missing
// and how to get the packets, once: not again in the status line (a
// trial saw it twice, body and status); no error, and w writes nothing.
func TestPacketsCollectorOutput(t *testing.T) {
	for mode, want := range map[string]string{
		"collector": "no capture of probe A if0 here (a collector gets counters, not packets): replay its pcap, or a tcpdump -w one if live",
		"live":      "no capture of probe A if0 here (a live capture keeps no packets): replay a tcpdump -w file to see packets",
	} {
		out := outputAs(t, replayed(t, ftpLab), mode)
		dir := t.TempDir()
		t.Chdir(dir)
		m, press, expect := screenModel(t, out)
		press("4", "enter", "p")
		expect("packets", "Packets of", want)
		if m.e.status != "" || m.e.errMsg != "" {
			t.Fatalf("%s: status %q, error %q", mode, m.e.status, m.e.errMsg)
		}
		if n := strings.Count(plain(m), "no capture of probe A"); n != 1 {
			t.Fatalf("%s: the screen says it %d times, want once:\n%s", mode, n, plain(m))
		}
		if len(want) > 120 {
			t.Fatalf("%s: the line is %d characters, more than 120", mode, len(want))
		}
		press("w")
		if got := pcaps(t, dir); len(got) != 0 {
			t.Fatalf("%s: w wrote %v", mode, got)
		}
		press("esc")
		expect("back", "TCP connections")
	}
}

// TestTcpdumpLinesAgree: the Packets screen's line of every packet of the
// lab FTP capture at A (testdata/lab/ftp/A.pcap, 7,799 packets, snap
// length 256, so data segments are cut) says what `tcpdump -nn -r` says
// up to its length, options left out: the same flags, sequence range and
// length on the wire (a trial saw "seq a:a+190 ... length 190" for a
// 1,448-byte segment cut to 190). Sequence numbers are relative, as
// tcpdump prints them by default (the screen printed them absolute, as
// -S does: the expert's trial), and absolute without the bases (-S).
func TestTcpdumpLinesAgree(t *testing.T) {
	path := capture(t, ftpLab)
	tcpdump := testenv.Tool(t, "tcpdump")
	for _, absolute := range []bool{false, true} {
		args := []string{"-nn", "-r", path}
		var seqs tcpSeqs
		if absolute {
			args = append(args, "-S")
		} else {
			seqs = tcpSeqs{}
		}
		cmd := exec.Command(tcpdump, args...)
		cmd.Env = append(os.Environ(), "TZ=UTC")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("tcpdump: %v\n%s", err, stderr.String())
		}
		want := strings.Split(strings.TrimSpace(string(out)), "\n")
		r := pcapOpen(t, path)
		options := regexp.MustCompile(`, options \[[^\]]*\]`)
		upToLength := regexp.MustCompile(`^.*?, length \d+`)
		cut, relative := 0, 0
		for i := 0; ; i++ {
			data, ci, err := r.ReadPacketData()
			if err == io.EOF {
				if i != len(want) {
					t.Fatalf("%d packets, tcpdump printed %d lines", i, len(want))
				}
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			ci.Timestamp = ci.Timestamp.UTC()
			got := tcpdumpLine(ci, gopacket.NewPacket(data, r.LinkType(), gopacket.Default), seqs)
			w := upToLength.FindString(options.ReplaceAllString(want[i], ""))
			if got != w {
				t.Fatalf("%v: packet %d:\n ours    %q\n tcpdump %q", args, i+1, got, w)
			}
			if ci.CaptureLength < ci.Length {
				cut++
			}
			if strings.Contains(w, ", ack 1,") {
				relative++
			}
		}
		if cut == 0 || !absolute && relative == 0 {
			t.Fatalf("%v: %d packets cut by the snap length, %d with ack 1: the test checks nothing it names", args, cut, relative)
		}
		t.Logf("%v: %d packets agree, %d of them cut by the snap length, %d with ack 1", args, len(want), cut, relative)
	}
}

// TestTcpdumpSeqOneDirection: the Packets screen's default view shows one
// direction of a connection; its relative sequence numbers are those
// tcpdump prints over the whole file, the other direction's segments
// setting the bases unseen. A client's SYN (seq 1000), the server's
// SYN-ACK (5000, ack 1001), the client's ACK and 100 bytes: tcpdump -nn
// prints the data as "seq 1:101, ack 1"; the client's view alone took its
// bases from the client's own ACK and printed "seq 0:100, ack 1" (the
// review).
func TestTcpdumpSeqOneDirection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hs.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	cli, srv := net.IP{10, 0, 0, 1}, net.IP{10, 0, 0, 2}
	segs := []struct {
		fromClient bool
		syn, ack   bool
		seq, acked uint32
		payload    int
	}{{true, true, false, 1000, 0, 0}, {false, true, true, 5000, 1001, 0}, {true, false, true, 1001, 5001, 0}, {true, false, true, 1001, 5001, 100}}
	for i, s := range segs {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: cli, DstIP: srv}
		tcp := &layers.TCP{SrcPort: 40000, DstPort: 80, Seq: s.seq, Ack: s.acked, SYN: s.syn, ACK: s.ack, Window: 512}
		if !s.fromClient {
			ip.SrcIP, ip.DstIP = srv, cli
			tcp.SrcPort, tcp.DstPort = 80, 40000
		}
		if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
		buf := gopacket.NewSerializeBuffer()
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{0, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{0, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp, gopacket.Payload(make([]byte, s.payload))); err != nil {
			t.Fatal(err)
		}
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1_700_000_000, int64(i)*1000), CaptureLength: len(buf.Bytes()), Length: len(buf.Bytes())}
		if err := w.WritePacket(ci, buf.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	d := &packetsData{complete: true, seqs: tcpSeqs{}}
	sel := packetSel{src: "10.0.0.1", dst: "10.0.0.2", sport: 40000, dport: 80, proto: 6}
	if err := d.readSpan(context.Background(), fileSpan{path: path}, sel, 0, math.MaxInt64, 0); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, p := range d.pkts {
		lines = append(lines, p.line[strings.Index(p.line, "Flags"):])
	}
	want := []string{"Flags [S], seq 1000, win 512, length 0", "Flags [.], ack 1, win 512, length 0", "Flags [.], seq 1:101, ack 1, win 512, length 100"}
	if !slices.Equal(lines, want) {
		t.Errorf("the client's segments:\n%q\nwant (tcpdump -nn)\n%q", lines, want)
	}
}

// TestBothDirectionsFromReverseStart: r on the server's flow of a
// connection whose client sent its SYN three times (tcp-mix lab,
// 10.10.1.100:60878 > 198.51.100.10:8080: SYNs at 14:58:41.10, 42.10 and
// 43.13, frames 593, 1255 and 1912; the SYN-ACK at 43.19) lists every packet of the connection, the
// first two SYNs included: tcpdump -r testdata/lab/tcp-mix/A.pcap
// 'tcp port 60878' prints 2534 packets, 1453 of them the server's. The
// reverse flow started 2.09 s before this one, beyond the second of slack
// the selection was widened by: 2532 were listed.
func TestBothDirectionsFromReverseStart(t *testing.T) {
	out := replayed(t, "lab/tcp-mix/A.pcap")
	m, press, expect := screenModel(t, out)
	press("2", "enter")
	expect("flow", "198.51.100.10:8080>10.10.1.100:60878/tcp")
	press("p")
	expect("packets", "1453 packets", "one direction")
	press("r")
	expect("both", "2534 packets", "both directions")
	ps := m.active().(*packetsScreen)
	first := ps.d.pkts[0]
	if got, want := first.frame, uint64(593); got != want { // tshark: frame 593, the first SYN
		t.Errorf("first packet: frame %d, want %d", got, want)
	}
}

// TestPacketsOfOneInterface: a flow of one interface of a pcapng of
// several lists only that interface's packets. gopacket's test202.pcapng
// (testdata/pcap/SOURCES.md) holds the DHCP reply 192.168.0.1:67 >
// 192.168.0.10:68 three times at one capture time: frame 2 in section 0
// (interface eth0), frames 5 and 7 as simple packet blocks of section 1,
// whose only interface is "silly ethernet interface 2" (the blocks of the
// file: SHB, IDB eth0, IDB null1, 3 EPB; SHB, IDB silly..., SPB, EPB,
// SPB, EPB; SHB, IDB eth0, IDB null1, EPB). The flows row of that
// interface counts 2 packets; 3 were listed.
func TestPacketsOfOneInterface(t *testing.T) {
	out := replayed(t, "pcap/pcapng-multi-if/gopacket_pcapgo_le_test202.pcapng")
	const iface = "silly ethernet interface 2"
	rows := sqlRows(t, out, `SELECT probe, epoch_ns(first_seen), epoch_ns(last_seen), packets FROM flows
WHERE class = 'all' AND interface = '`+iface+`' AND src_addr = '192.168.0.1' AND dst_addr = '192.168.0.10'`)
	if len(rows) != 1 {
		t.Fatalf("%d flows of %s, want 1", len(rows), iface)
	}
	if n := rows[0][3]; queries.Int64(n) != 2 {
		t.Fatalf("flows row: %v packets, want 2", n)
	}
	m, _, expect := screenModel(t, out)
	sel := packetSel{probe: toString(rows[0][0]), iface: iface, lo: queries.Int64(rows[0][1]), hi: queries.Int64(rows[0][2]),
		src: "192.168.0.1", dst: "192.168.0.10", sport: 67, dport: 68, proto: 17, lead: "Packets of ", name: "the DHCP reply"}
	drive(t, m, pushMsg{s: newPackets(m.e, sel)})
	expect("packets", "2 packets")
	var frames []uint64
	for _, pk := range m.active().(*packetsScreen).d.pkts {
		frames = append(frames, pk.frame)
	}
	if !slices.Equal(frames, []uint64{5, 7}) {
		t.Fatalf("frames %v, want [5 7]", frames)
	}
}
