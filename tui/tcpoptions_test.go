package tui

import (
	"slices"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/tmonbench/tmonbench/replay"
)

// TestTCPOptionsAsTcpdump: the packet detail writes TCP options as
// tcpdump does; it wrote gopacket's "TCPOption(MSS:1460 0x05b4)
// TCPOption(SACKPermitted:) ...", cut before the window scale (trial3 D6).
// The wants are tcpdump -nS -r FILE's, the first packets of each file.
func TestTCPOptionsAsTcpdump(t *testing.T) {
	for _, c := range []struct {
		file string
		want []string
	}{
		{"pcap/tcp-options/zeek_tcp_tcp-fast-open.pcap", []string{
			"[mss 1460,sackOK,TS val 14248099 ecr 0,nop,wscale 7,exp-tfo cookiereq]",
			"[mss 1460,sackOK,TS val 4294965494 ecr 14248099,nop,wscale 6,exp-tfo cookie 261fb060cecab690]"}},
		{"pcap/tcp-retrans-rst/chrissanders_tcp_dupack.pcapng", []string{
			"[nop,nop,TS val 22247173 ecr 1332354,nop,nop,sack 1 {1310978658:1310984130}]"}},
	} {
		f, err := replay.Open(capture(t, c.file))
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range c.want {
			data, m, err := f.Next()
			if err != nil {
				t.Fatal(err)
			}
			pk := gopacket.NewPacket(data, layers.LinkType(m.LinkType), gopacket.Default)
			if got := headerLines(pk); !slices.Contains(got, "          options "+want) {
				t.Errorf("%s packet %d: %q, want the line options %s", c.file, i+1, got, want)
			}
		}
		f.Close()
	}
}
