package pipeline_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
)

// ipv4Frame returns an Ethernet frame of an IPv4 header (ihl in 32-bit
// words, total length tot as written, whatever the frame holds) and 20
// bytes of payload: a TCP header (data offset 5), a UDP header (length
// 20) or an ICMP echo request, by proto.
func ipv4Frame(src, dst netip.Addr, proto byte, ihl, tot int) []byte {
	f := make([]byte, 14+20+20)
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:]
	ip[0] = 4<<4 | byte(ihl)
	binary.BigEndian.PutUint16(ip[2:], uint16(tot))
	ip[8] = 64
	ip[9] = proto
	s, d := src.As4(), dst.As4()
	copy(ip[12:], s[:])
	copy(ip[16:], d[:])
	l4 := ip[20:]
	switch proto {
	case dissect.ProtoTCP:
		binary.BigEndian.PutUint16(l4[0:], 40000)
		binary.BigEndian.PutUint16(l4[2:], 80)
		l4[12] = 5 << 4
		l4[13] = 0x10 // ACK
	case dissect.ProtoUDP:
		binary.BigEndian.PutUint16(l4[0:], 40000)
		binary.BigEndian.PutUint16(l4[2:], 53)
		binary.BigEndian.PutUint16(l4[4:], 20)
	default:
		l4[0] = 8 // echo request
	}
	return f
}

// kindFrames returns three repetitions, 1 ms apart, of five frames for
// each of two address pairs, the first owned by worker 0 of two, the
// second by worker 1 (dissect.ShardOfAddrs), so both workers count kinds.
// The dissector's kinds (engine/dissect/kind.go, dissect.ipv4) of the
// five: IHL 4 TCP, ipv4_bad_ihl (malformed, skipped); total length 0
// UDP, ipv4_zero_length (kept: TSO); total length 100 > 40 on the wire
// ICMP, ip_longer_than_frame (kept, truncated); IHL 4 ICMP,
// ipv4_bad_ihl; a good TCP. So 30 packets, 18 IP, 12 malformed: 12
// ipv4_bad_ihl, 6 ip_longer_than_frame, 6 ipv4_zero_length.
func kindFrames(t *testing.T) *frameSource {
	a := netip.MustParseAddr("10.0.0.1")
	var pairs [][2]netip.Addr
	for want, i := 0, 2; want < 2 && i < 255; i++ {
		b := netip.AddrFrom4([4]byte{10, 0, 1, byte(i)})
		if dissect.ShardOfAddrs(a, b, 2) == want {
			pairs = append(pairs, [2]netip.Addr{a, b})
			want++
		}
	}
	if len(pairs) != 2 {
		t.Fatal("no address pair for each of two workers")
	}
	s := &frameSource{}
	at := int64(1764426960000000000) // 2025-11-29 14:36:00 UTC
	for range 3 {
		for _, p := range pairs {
			for _, f := range [][]byte{
				ipv4Frame(p[0], p[1], dissect.ProtoTCP, 4, 40),
				ipv4Frame(p[0], p[1], dissect.ProtoUDP, 5, 0),
				ipv4Frame(p[0], p[1], dissect.ProtoICMP, 5, 100),
				ipv4Frame(p[0], p[1], dissect.ProtoICMP, 4, 40),
				ipv4Frame(p[0], p[1], dissect.ProtoTCP, 5, 40),
			} {
				s.frames = append(s.frames, f)
				s.metas = append(s.metas, pkt.Meta{TimeNs: at, CapLen: uint32(len(f)), WireLen: uint32(len(f)), LinkType: pkt.LinkEthernet})
				at += 1e6
			}
		}
	}
	return s
}

// TestWorkersSameKindEvents: a lone probe (Workers: 0, its kind events
// from intervalEvents) and 1, 2 and 3 workers (each counting the packets
// it owns, summed by the merge: closePart.kinds, mergeClose) give the same
// ProbeTotals and the same packet_anomalies, malformed_packets and
// dissect_totals events, in intervals of 10 ms (several closes) and of
// an hour (one).
func TestWorkersSameKindEvents(t *testing.T) {
	for _, iv := range []float64{0.01, 3600} {
		t.Run(fmt.Sprintf("%gs", iv), func(t *testing.T) {
			run := func(n int) (probe.Stats, []string) {
				cfg := config.Default()
				cfg.IntervalS = iv
				res, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: kindFrames(t)}}, pipeline.Options{
					Config: cfg, Probes: []probe.Identity{{Name: "k", Interfaces: []string{"if0"}}}, Sender: pdu.DefaultSenderConfig(),
					Merge: merge, Parallel: true, Workers: n,
				})
				if err != nil {
					t.Fatal(err)
				}
				var ev []string
				for _, e := range res.Batch.Events {
					switch e.Kind {
					case "packet_anomalies", "malformed_packets", "dissect_totals":
						ev = append(ev, fmt.Sprintf("%d %s %s n=%d %q", e.Time, e.Kind, e.Severity, e.Count, e.Message))
					}
				}
				slices.Sort(ev)
				return res.ProbeTotals(), ev
			}
			lone, loneEv := run(0)
			if lone.Packets != 30 || lone.IP != 18 || lone.Malformed != 12 {
				t.Errorf("lone probe: %d packets, %d IP, %d malformed; want 30, 18, 12", lone.Packets, lone.IP, lone.Malformed)
			}
			if want := kindEvents(iv); !slices.Equal(loneEv, want) {
				t.Errorf("lone probe's events:\n%s\nwant:\n%s", strings.Join(loneEv, "\n"), strings.Join(want, "\n"))
			}
			all := strings.Join(loneEv, "\n")
			for _, n := range []int{1, 2, 3} {
				got, ev := run(n)
				if got != lone {
					t.Errorf("%d workers: %+v\nlone probe: %+v", n, got, lone)
				}
				if !slices.Equal(ev, loneEv) {
					t.Errorf("%d workers' events:\n%s\nlone probe's:\n%s", n, strings.Join(ev, "\n"), all)
				}
			}
		})
	}
}

// kindEvents returns the events kindFrames gives, sorted as
// TestWorkersSameKindEvents sorts them: each interval's kinds (10 frames a
// 10 ms interval, 4 ipv4_bad_ihl, 2 of each kept kind; the last closes at
// the last packet, 29 ms in) and the run's dissect_totals.
func kindEvents(intervalS float64) []string {
	const start int64 = 1764426960000000000 // kindFrames' first packet
	closes := []int64{start + 29e6}
	per := uint64(3)
	if intervalS < 1 {
		closes, per = []int64{start + 10e6, start + 20e6, start + 29e6}, 1
	}
	var ev []string
	for _, at := range closes {
		ev = append(ev,
			fmt.Sprintf("%d malformed_packets warning n=%d \"%d packets with ipv4_bad_ihl headers in the interval (skipped)\"", at, 4*per, 4*per),
			fmt.Sprintf("%d packet_anomalies error n=%d \"%d packets with ip_longer_than_frame in the interval (counted at IP level)\"", at, 2*per, 2*per),
			fmt.Sprintf("%d packet_anomalies info n=%d \"%d packets with ipv4_zero_length in the interval (counted at IP level)\"", at, 2*per, 2*per))
	}
	ev = append(ev, fmt.Sprintf("%d dissect_totals info n=0 \"packets=30 ip=18 not_ip=0 malformed=12 kinds_ipv4_bad_ihl=12 kinds_ip_longer_than_frame=6 kinds_ipv4_zero_length=6\"", start+29e6))
	slices.Sort(ev)
	return ev
}
