package pipeline_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/replay"
)

// FuzzPipeline replays a capture of arbitrary bytes (seeded with small
// committed captures: TCP, DNS, SNMP, NTP, ICMP errors, fragments, VLAN,
// IPv6, damaged ones) through a probe with the default config and the
// collector, as tmonbench replay does. Properties: no panic and no error
// (a damaged capture is an event); every PDU decodes and names a flow the
// collector knows (no bad records, no unknown flow); class all's flow
// totals equal the sums of its per-interval ip_bytes counters (every
// packet counted once, in one interval: design 3.2).
func FuzzPipeline(f *testing.F) {
	root := filepath.Join(samplesDir(f), "pcap")
	for _, p := range []string{
		"tcp-options/zeek_tcp_options.pcap", "dns/tcpdump_dns_udp.pcap", "dns/tcpdump_dns_tcp.pcap",
		"snmp/zeek_snmpv2_get_next.pcap", "ntp/tcpdump_ntp.pcap", "icmp-errors/zeek_icmp-destunreach-udp.pcap",
		"ipv4-fragments/zeek_ipv4_fragmented-1.pcap", "ipv4-fragments/lwerdna_teardrop.pcap", "vlan/zeek_q-in-q.pcap",
		"ipv6/tcpdump_icmpv6.pcap", "icmp-echo/zeek_icmp_5-pings.pcap", "tcp-retrans-rst/zeek_tcp_rst-inject-rae.pcap",
		"truncated-snaplen/zeek_tcp_truncated-header.pcap", "malformed/tcpdump_snmp-heapoverflow-1.pcap",
		"linux-sll/zeek_linux_dlt_sll2.pcap",
	} {
		b, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	cfg := config.Default()
	f.Fuzz(func(t *testing.T, capture []byte) {
		src, err := replay.NewReader(bytes.NewReader(capture), "fuzz.pcap", int64(len(capture)))
		if err != nil {
			return // not a capture: replay's own fuzzing (FuzzOpen)
		}
		defer src.Close()
		res, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: src}}, pipeline.Options{
			Config: cfg, Probes: []probe.Identity{{Name: "fuzz", Interfaces: []string{"if0"}}}, Sender: pdu.DefaultSenderConfig(), Merge: merge,
		})
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		if c := res.Collector; c.BadRecords != 0 || c.UnknownFlow != 0 {
			t.Fatalf("collector: %d bad records, %d observations of unknown flows", c.BadRecords, c.UnknownFlow)
		}
		if a := classAll(res.Batch); a.n != a.packets || uint64(a.sum) != a.bytes {
			t.Fatalf("class all: flows %d packets %d bytes; flow_counters ip_bytes n %d sum %.0f", a.packets, a.bytes, a.n, a.sum)
		}
	})
}
