package dissect_test

import (
	"io"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testframes"
	"github.com/tmonbench/tmonbench/internal/testsamples"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/replay"
)

// FuzzDissect feeds arbitrary bytes under every supported link type: the
// dissector must never panic, and what it reports must stay inside the
// packet.
func FuzzDissect(f *testing.F) {
	for _, file := range []string{
		"tcp-options/zeek_tcp_options.pcap", "ipv6/zeek_communityid_icmp6.pcap", "vlan/zeek_q-in-q.pcap",
		"icmp-errors/zeek_icmp-destunreach-udp.pcap", "ipv4-fragments/zeek_ipv4_fragmented-4.pcap",
		"linux-sll/zeek_linux_dlt_sll2.pcap", "icmp-errors/tcpdump_mpls-traceroute.pcap",
	} {
		src, err := replay.Open(filepath.Join(samplesDir(f), "pcap", file))
		if err != nil {
			f.Fatal(err)
		}
		for {
			data, m, err := src.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				f.Fatal(err)
			}
			f.Add(append([]byte(nil), data...), uint16(m.LinkType))
		}
		src.Close()
	}
	d := dissect.New()
	var out dissect.Dissection
	f.Fuzz(func(t *testing.T, data []byte, lt uint16) {
		links := []pkt.LinkType{pkt.LinkEthernet, pkt.LinkRaw, pkt.LinkLinuxSLL, pkt.LinkLinuxSLL2, pkt.LinkNull, pkt.LinkPPP, pkt.LinkIPv6}
		m := pkt.Meta{CapLen: uint32(len(data)), WireLen: uint32(len(data)), LinkType: links[int(lt)%len(links)]}
		if d.Dissect(data, m, &out) != nil {
			return
		}
		if int(out.NetOff)+int(out.IPHdrLen) > len(data) && !out.Truncated && out.Flags&dissect.HasL4 != 0 {
			t.Fatalf("IP header [%d+%d] beyond %d bytes", out.NetOff, out.IPHdrLen, len(data))
		}
		if out.Flags&dissect.HasL4 != 0 && int(out.L4Off) > len(data) {
			t.Fatalf("L4 offset %d beyond %d bytes", out.L4Off, len(data))
		}
	})
}

// BenchmarkDissect measures the per-packet cost over a real capture held in
// memory (the SSH trace: 1797 packets of TCP with options).
func BenchmarkDissect(b *testing.B) {
	frames, metas := testframes.Frames(b, "pcap/tcp-options/zeek_ssh_ssh.pcap")
	d := dissect.New()
	var out dissect.Dissection
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % len(frames)
		_ = d.Dissect(frames[j], metas[j], &out)
	}
	testsamples.ReportPerPacket(b, b.N)
}
