package tcpconn

import (
	"encoding/binary"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// FuzzTracker feeds arbitrary segment sequences (flags, sequence and ACK
// numbers, lengths, windows, ports, time steps taken from the input, 16
// bytes each) to a small Tracker with short timeouts: no panic, bounded
// table, every created connection emitted exactly once, consistent rows.
func FuzzTracker(f *testing.F) {
	var seed []byte
	for _, s := range append(append([]seg{}, handshake()...),
		seg{ms: 3, fromClient: true, flags: A, seq: isnC + 1, ack: isnS + 1, len: 100},
		seg{ms: 4, fromClient: true, flags: FA, seq: isnC + 101, ack: isnS + 1},
		seg{ms: 5, flags: RA, seq: isnS + 1}) {
		var b [16]byte
		b[0] = byte(s.flags)
		if s.fromClient {
			b[1] = 1
		}
		binary.BigEndian.PutUint32(b[2:], s.seq)
		binary.BigEndian.PutUint32(b[6:], s.ack)
		binary.BigEndian.PutUint16(b[10:], uint16(s.len))
		b[15] = 1
		seed = append(seed, b[:]...)
	}
	f.Add(seed)
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, in []byte) {
		cfg := Config{MaxConns: 3, IdleTimeoutNs: 50e6, HandshakeTimeoutNs: 20e6, CloseDelayNs: 5e6, MaxPending: 2}
		tr := New(cfg)
		var ms int64
		emitted := map[uint64]int{}
		emit := func(_ uint16, r *observe.TCPConnection) {
			emitted[r.ConnID]++
			if r.EndTime < r.StartTime || r.ClientMissingBytes > r.ClientPayloadBytes+1<<32 || len(r.History) > histCapacity {
				t.Fatalf("bad row %+v", r)
			}
		}
		for len(in) >= 16 {
			b := in[:16]
			in = in[16:]
			ms += int64(b[15] % 8)
			s := seg{ms: ms, flags: uint16(b[0]) | uint16(b[14]&1)<<8, fromClient: b[1]&1 != 0,
				seq: binary.BigEndian.Uint32(b[2:]), ack: binary.BigEndian.Uint32(b[6:]),
				len: uint32(binary.BigEndian.Uint16(b[10:])), win: binary.BigEndian.Uint16(b[12:]),
				cport: 40000 + uint16(b[1]>>1&3)}
			d := s.dissection()
			tr.Packet(&d, "fuzz", b[14]&2 != 0)
			if tr.Len() > cfg.MaxConns {
				t.Fatalf("%d connections, max %d", tr.Len(), cfg.MaxConns)
			}
			if b[14]&4 != 0 {
				tr.Expire(d.Meta.TimeNs, emit)
			}
		}
		tr.Flush(0, emit)
		st := tr.Stats()
		if st.Finished != uint64(len(emitted)) || st.Finished+st.Dropped != st.Created || tr.Len() != 0 {
			t.Fatalf("stats %+v, %d distinct rows", st, len(emitted))
		}
		for id, n := range emitted {
			if n != 1 {
				t.Fatalf("conn %d emitted %d times", id, n)
			}
		}
	})
}
