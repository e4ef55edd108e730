package rtt

import (
	"encoding/binary"
	"testing"

	"github.com/gosnmp/gosnmp"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/observe"
)

// FuzzPacket feeds arbitrary payloads to the DNS (UDP and TCP stream),
// SNMP and NTP decoders and arbitrary TCP timestamps to RTTM: the Tracker
// must never panic and its state must stay within bounds. b is cut into
// segments at the sizes given by cuts.
func FuzzPacket(f *testing.F) {
	f.Add(uint8(0), dnsMsg(f, 7, false, "a.example", 0), []byte{5})
	f.Add(uint8(1), append([]byte{0, 30}, dnsMsg(f, 7, true, "a.example", 0)...), []byte{1, 2, 3})
	f.Add(uint8(0x41), append([]byte{0, 30}, dnsMsg(f, 7, true, "a.example", 0)...), []byte{9, 2, 7})
	f.Add(uint8(2), snmpMsg(f, gosnmp.Version2c, gosnmp.GetBulkRequest, 9, 0), []byte{})
	f.Add(uint8(2), snmpMsg(f, gosnmp.Version1, gosnmp.GetResponse, 9, 2), []byte{})
	f.Add(uint8(3), ntpMsg(3, 1, 2), []byte{})
	f.Add(uint8(4), []byte{0, 0, 0, 1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff}, []byte{4, 4})
	f.Fuzz(func(t *testing.T, sel uint8, b []byte, cuts []byte) {
		tr := New(Config{MaxPending: 8, MaxConns: 2, MaxStreamBytes: 256, MaxTSvals: 4})
		emit := func(s *observe.RTTSample) {
			if s.Kind == "" {
				t.Fatal("sample without kind")
			}
		}
		now := int64(0)
		for i := 0; len(b) > 0 && i < 64; i++ {
			n := len(b)
			if i < len(cuts) && int(cuts[i]) < n && cuts[i] > 0 {
				n = int(cuts[i])
			}
			seg := b[:n]
			b = b[n:]
			now += 1e6
			var d *dissect.Dissection
			switch sel % 5 {
			case 0:
				d = udp(cli, 4000, srv, 53, seg, now)
				if i%2 == 1 {
					d = udp(srv, 53, cli, 4000, seg, now)
				}
			case 1:
				d = tcpSeg(cli, 4000, srv, 53, dissect.TCPAck, uint32(1000+i*7), 1, seg, now)
				if sel&0x40 != 0 && len(seg) > 0 {
					// Holes, overlaps and reordering in both directions,
					// acknowledgements past the holes (dnstcp.go).
					d.Seq = 1000 + uint32(seg[0])*5
					if seg[0]&1 != 0 {
						d = tcpSeg(srv, 53, cli, 4000, dissect.TCPAck, 1000+uint32(seg[len(seg)-1])*3, 1000+uint32(seg[0])*9, seg, now)
					}
				}
				if sel&0x80 != 0 {
					d.PayloadLen += 3 // truncated capture
				}
			case 2:
				d = udp(cli, 4000, srv, 161, seg, now)
				if i%2 == 1 {
					d = udp(srv, 161, cli, 4000, seg, now)
				}
			case 3:
				d = udp(cli, 123, srv, 123, seg, now)
			case 4:
				d = tcpSeg(cli, 4000, srv, 80, dissect.TCPAck|uint16(sel>>5)&dissect.TCPSyn, 1, 1, nil, now)
				if i%2 == 1 {
					d = tcpSeg(srv, 80, cli, 4000, dissect.TCPAck, 1, 1, nil, now)
				}
				if len(seg) >= 8 {
					d.Flags |= dissect.HasTCPTS
					d.TSVal, d.TSEcr = binary.BigEndian.Uint32(seg), binary.BigEndian.Uint32(seg[4:])
				}
			}
			tr.Packet(d, uint64(i), emit)
			if st := tr.Stats(); st.Pending > 8 || st.Conns > 2 || tr.streamB > 256 || tr.streamB < 0 {
				t.Fatalf("bounds exceeded: %+v stream bytes %d", st, tr.streamB)
			}
		}
		tr.Expire(now+20e9, nil)
		tr.Flush(nil)
		tr.CloseInterval(0, 1e9, nil)
		if tr.streamB != 0 {
			t.Fatalf("stream bytes %d after Flush", tr.streamB)
		}
	})
}
