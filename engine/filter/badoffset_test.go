package filter

import (
	"slices"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testenv"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// badOffsetCases are filters on captures holding TCP headers whose data
// offset is below 5 words or beyond the segment (RFC 9293 §3.1;
// dissect.TCPBadOffset), with the frames tcpdump 4.99.3 selects (-r F -w
// out 'filter', as the test recomputes): libpcap reads the ports and the
// flags byte whatever the data offset says. engine/dissect's
// testdata/tcp-bad-offset.pcap (TestTCPBadOffset: frames 1 to 6 bogus,
// 4 and 5 IPv6, 6 cut by the snap length after 16 TCP bytes, 7 sound);
// gopacket_linux_sll_oversized_addr.pcapng, a fuzzed capture whose frame
// 95 has data offset 0 (tcpdump: "[bad hdr length 0 - too short, < 20]";
// tshark: "Bogus TCP header length (0, must be at least 20)"): tcpdump
// counts 209 packets for `tcp port 21999`, the sieve counted 208 before
// the dissector kept the ports of such headers (want: a count, the
// frames being too many to list; TestTcpdumpEquivalence compares them
// one by one).
var badOffsetCases = []struct {
	file    string
	filters []struct {
		ours, tcpdump string // tcpdump "": ours
		want          []uint64
		count         int // when want is nil
	}
}{
	{"", []struct {
		ours, tcpdump string
		want          []uint64
		count         int
	}{
		{ours: "tcp port 21999", want: []uint64{1, 2, 4, 6, 7}},
		{ours: "port 80", want: []uint64{3, 5}},
		{ours: "tcp and not port 21999", want: []uint64{3, 5}},
		{ours: "src portrange 40000-40003", want: []uint64{1, 2, 3, 4}},
		{ours: "tcp-syn", tcpdump: tcpFlag("tcp-syn", 2), want: []uint64{2, 6, 7}},
		{ours: "tcp-ack", tcpdump: tcpFlag("tcp-ack", 16), want: []uint64{1, 3, 4, 5}},
		{ours: "tcp[12] >> 4 < 5", want: []uint64{1, 2, 6}},
	}},
	// engine/dissect's testdata/transport-beyond-ip-length.pcap
	// (TestTransportBeyondIPLength): TCP (1, 2 IPv4, 3 IPv6) and UDP (4
	// IPv4, 5 IPv6) headers the IP length cuts short of 20 and 8 bytes,
	// the frame holding them whole past the IP datagram's end (Ethernet
	// padding), then a sound TCP SYN (6) and UDP datagram (7): libpcap
	// reads the ports and the flags byte from the captured bytes, never
	// the IP length. The sieve, Expr.Match and the program dropped 1 to 5
	// before the dissector kept such ports.
	{"../dissect/testdata/transport-beyond-ip-length.pcap", []struct {
		ours, tcpdump string
		want          []uint64
		count         int
	}{
		{ours: "tcp port 21999", want: []uint64{1, 3, 6}},
		{ours: "port 80", want: []uint64{2}},
		{ours: "udp port 53", want: []uint64{4, 5, 7}},
		{ours: "src portrange 40010-40014", want: []uint64{1, 2, 3, 4, 5}},
		{ours: "tcp-syn", tcpdump: tcpFlag("tcp-syn", 2), want: []uint64{1, 3, 6}},
		{ours: "tcp-ack", tcpdump: tcpFlag("tcp-ack", 16), want: []uint64{2}},
		{ours: "tcp[13] & 2 != 0", want: []uint64{1, 6}},
	}},
	{"pcap/linux-sll/gopacket_linux_sll_oversized_addr.pcapng", []struct {
		ours, tcpdump string
		want          []uint64
		count         int
	}{
		{ours: "tcp port 21999", count: 209},
		{ours: "src port 51218", count: 195},
		{ours: "tcp-ack", tcpdump: "tcp[tcpflags] & tcp-ack != 0", count: 207},
		{ours: "tcp[12] >> 4 < 5", want: []uint64{95}},
	}},
}

// TestTcpdumpBadOffset: on TCP headers of a bogus data offset, and TCP
// and UDP headers the IP length cuts (their data offset beyond the
// segment too, dissect.TCPBadOffset, or UDP's 8 bytes), the sieve,
// Expr.Match and the classic BPF program (file frames and kernel VLAN
// view) select what tcpdump selects (badOffsetCases): the ports, hence
// the port filters, and the flags are read as libpcap reads them.
// Before, the dissector dropped such headers whole: no ports, so `tcp
// port 21999` missed frame 95 of the fuzzed capture (208 of tcpdump's
// 209) and frames 1, 2, 4 and 6 of the crafted one, and the program,
// which follows the dissector, dropped them too. All the plain filters
// of TestTcpdumpEquivalence run on the crafted captures as well.
func TestTcpdumpBadOffset(t *testing.T) {
	testenv.Tool(t, "tcpdump") // fails under CI=true when missing
	for _, c := range badOffsetCases {
		path := "../dissect/testdata/tcp-bad-offset.pcap"
		if strings.HasPrefix(c.file, "../") {
			path = c.file
		} else if c.file != "" {
			path = testsamples.Path(t, c.file)
		}
		frames := loadFrames(t, path)
		for _, f := range c.filters {
			td := f.tcpdump
			if td == "" {
				td = f.ours
			}
			want := tcpdumpFrames(t, path, td, frames)
			if f.want != nil && !slices.Equal(want, f.want) || f.want == nil && len(want) != f.count {
				t.Errorf("%s: tcpdump %q selects %d frames; the table says %v (%d)", path, td, len(want), f.want, f.count)
			}
			e, err := Parse(f.ours)
			if err != nil {
				t.Fatal(err)
			}
			sv, err := Compile([]string{f.ours})
			if err != nil {
				t.Fatal(err)
			}
			var ref, sieve []uint64
			for i := range frames {
				fr := &frames[i]
				if e.Match(&fr.d) {
					ref = append(ref, fr.num)
				}
				var set Set
				sv.Match(&fr.d, &set)
				if set.Has(0) {
					sieve = append(sieve, fr.num)
				}
			}
			if !slices.Equal(ref, want) || !slices.Equal(sieve, want) {
				t.Errorf("%s: %q: Expr.Match %d frames, the sieve %d, tcpdump %d", path, f.ours, len(ref), len(sieve), len(want))
			}
			for i, got := range bpfSelect(t, f.ours, frames, nil) {
				if !slices.Equal(got, want) {
					t.Errorf("%s: %q: cBPF (kernel VLAN %v) %d frames, tcpdump %d", path, f.ours, i == 1, len(got), len(want))
				}
			}
		}
	}
	for _, f := range []string{"../dissect/testdata/tcp-bad-offset.pcap", "../dissect/testdata/transport-beyond-ip-length.pcap"} {
		equivalence(t, byLinkType(t, []string{f})[0], true, plainFilters, func(string, int) {})
	}
}
