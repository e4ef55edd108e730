package probe_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testframes"
	"github.com/tmonbench/tmonbench/internal/testsamples"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/probe"
)

// ackLink acknowledges every PDU at once and keeps nothing: the benchmark
// measures the probe alone.
type ackLink struct {
	s   *pdu.Sender
	ack []byte
}

func (l *ackLink) Send(frame []byte) {
	h, _, err := pdu.ParseFrame(frame)
	if err != nil {
		panic(err)
	}
	l.ack = pdu.AppendAck(l.ack[:0], h.ProbeID, h.Epoch, h.ID)
	l.s.HandleAck(l.ack)
}

// classesYAML builds n classes with filters of the kinds engineers write.
func classesYAML(n int) string {
	var b strings.Builder
	b.WriteString("interval_s: 1\nclasses:\n")
	kinds := []string{
		"tcp port %d", "udp port %d or tcp port %d", "host 192.168.1.%d", "net 10.%d.0.0/16 and not icmp",
		"tcp dst port %d and tcp-syn", "portrange %d-%d", "ip6 and udp src port %d", "len <= %d and tcp and dst port 9999",
	}
	for i := 1; i < n; i++ { // class "all" is the n-th
		k := kinds[i%len(kinds)]
		args := make([]any, strings.Count(k, "%d"))
		for j := range args {
			args[j] = 1000 + i + j
			if strings.Contains(k, "host") || strings.Contains(k, "net") {
				args[j] = i % 250
			}
		}
		fmt.Fprintf(&b, "  - name: c%d\n    filter: %q\n    granularity: [src_addr, dst_addr, dst_port]\n", i, fmt.Sprintf(k, args...))
	}
	return b.String()
}

// BenchmarkProbe measures dissect + sieve + flow counters per packet with
// 1, 10 and 100 classes over a real capture held in memory (the lab's
// tcp-mix at A: 6436 packets of HTTP downloads in 10.9 s), its timestamps
// shifted on every pass so intervals keep closing and PDUs keep leaving.
// (A capture with long silences would measure the heartbeats the channel
// sends during them instead.)
func BenchmarkProbe(b *testing.B) {
	frames, metas := testframes.Frames(b, "lab/tcp-mix/A.pcap")
	span := metas[len(metas)-1].TimeNs - metas[0].TimeNs + 1e9
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("classes=%d", n), func(b *testing.B) {
			cfg, err := config.Parse([]byte(classesYAML(n)), "bench")
			if err != nil {
				b.Fatal(err)
			}
			link := &ackLink{}
			p, err := probe.New(probe.Identity{Name: "bench"}, cfg, []probe.Channel{{Link: link, Config: pdu.DefaultSenderConfig()}}, nil)
			if err != nil {
				b.Fatal(err)
			}
			link.s = p.Senders()[0]
			for j := range frames { // warm up: flows exist
				p.Packet(frames[j], metas[j])
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				j := i % len(frames)
				m := metas[j]
				m.TimeNs += span * int64(1+i/len(frames))
				p.Packet(frames[j], m)
			}
			testsamples.ReportPerPacket(b, b.N)
			st := p.Stats()
			b.ReportMetric(float64(st.Matched)/float64(st.Packets), "classes/pkt")
		})
	}
}
