package reasm

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// FuzzReassemble builds sequences of fragments from the fuzz input: each
// 5-byte record is one fragment (offset in 8-byte units, length in bytes,
// MF, IP version, datagram id, capture truncation, a time jump past the
// timeout, an Expire call), all cut from one body. Whatever the order,
// overlaps, duplicates or lengths, Add never panics, and every reassembled
// datagram is consistent: its length fields match its size and its
// payload equals the body's prefix of that length (all fragments carry the
// body's bytes, so first-wins must rebuild exactly the body).
func FuzzReassemble(f *testing.F) {
	// Seeds: 3 in-order IPv4 fragments; IPv6 out of order; overlap; duplicate.
	f.Add([]byte{0, 0, 0x05, 0xc8, 0x01, 0, 185, 0x05, 0xc8, 0x01, 0, 114, 0x00, 0x64, 0x00})
	f.Add([]byte{0, 185, 0x00, 0x64, 0x02, 0, 0, 0x05, 0xc8, 0x03})
	f.Add([]byte{0, 0, 0x00, 0x30, 0x01, 0, 3, 0x00, 0x30, 0x01, 0, 6, 0x00, 0x10, 0x00})
	f.Add([]byte{0, 0, 0x00, 0x18, 0x01, 0, 0, 0x00, 0x18, 0x01, 0, 3, 0x00, 0x08, 0x00, 0, 0, 0, 0, 0x20})
	body := seqBody(16384)
	f.Fuzz(func(t *testing.T, in []byte) {
		r := New(Config{TimeoutNs: 1000, MaxDatagrams: 3, MaxFragments: 64})
		var incs int
		var lateCopies uint64
		onInc := func(i Incomplete) {
			if i.Reason == ReasonNone || i.Fragments < 1 || i.FirstNs > i.LastNs {
				t.Fatalf("bad incomplete %+v", i)
			}
			if i.Reason == ReasonLateCopies { // no failure: its fragments are duplicates (done.go)
				lateCopies += uint64(i.Fragments)
				return
			}
			incs++
		}
		now := int64(0)
		var completes, accepted uint64
		for len(in) >= 5 {
			rec := in[:5]
			in = in[5:]
			s := fragSpec{
				off:    int(binary.BigEndian.Uint16(rec[0:]) & 0x3ff * 8),
				n:      int(binary.BigEndian.Uint16(rec[2:]) & 0x7ff),
				mf:     rec[4]&1 != 0,
				timeNs: now,
				iface:  uint16(rec[4] >> 7),
			}
			v6 := rec[4]&2 != 0
			id := uint16(rec[4] >> 2 & 1)
			var data []byte
			if v6 {
				data = build6(uint32(id), 17, nil, nil, body, s)
			} else {
				data = build4(id, 17, nil, body, s)
			}
			if rec[4]&8 != 0 {
				data = data[:len(data)/2+len(data)/4]
			}
			if rec[4]&0x10 != 0 {
				now += 600
			} else {
				now++
			}
			d := rawDissection(data, s)
			res, err := r.Add(&d, data)
			if err == nil {
				accepted++
			}
			if rec[4]&0x20 != 0 {
				r.Expire(now, onInc)
			}
			if !res.Complete {
				continue
			}
			completes++
			dg := res.Datagram
			var payload []byte
			if res.IPVersion == 4 {
				hl := int(dg[0]&0xf) * 4
				if int(binary.BigEndian.Uint16(dg[2:])) != len(dg) || len(dg) > MaxIPv4Bytes ||
					checksum(dg[:hl]) != 0 || binary.BigEndian.Uint16(dg[6:])&0x3fff != 0 {
					t.Fatalf("bad IPv4 datagram header %x (len %d)", dg[:hl], len(dg))
				}
				payload = dg[hl:]
			} else {
				if int(binary.BigEndian.Uint16(dg[4:])) != len(dg)-40 || dg[6] != 17 || len(dg) > MaxIPv6Bytes {
					t.Fatalf("bad IPv6 datagram header %x (len %d)", dg[:40], len(dg))
				}
				payload = dg[40:]
			}
			if !bytes.Equal(payload, body[:len(payload)]) {
				t.Fatalf("v%d id %d: reassembled payload (%d bytes) differs from the body", res.IPVersion, res.ID, len(payload))
			}
			if res.Fragments < 1 || res.FirstNs > res.LastNs {
				t.Fatalf("bad result %+v", res)
			}
		}
		r.Flush(onInc)
		st := r.Stats()
		if r.Len() != 0 || st.Datagrams != completes || st.Fragments != accepted ||
			st.Timeouts+st.Evictions+st.Flushed+st.Reused != uint64(incs) || lateCopies > st.Duplicates {
			t.Fatalf("accounting: len %d stats %+v completes %d accepted %d incompletes %d",
				r.Len(), st, completes, accepted, incs)
		}
	})
}

// FuzzAdd feeds arbitrary bytes as a packet (the first byte is the
// network offset): Add must never panic, and a complete datagram's length
// fields must match its size.
func FuzzAdd(f *testing.F) {
	body := seqBody(64)
	f.Add(append([]byte{0}, build4(1, 17, nil, body, fragSpec{off: 8, n: 16})...))
	f.Add(append([]byte{0}, build6(1, 17, []uint8{nhHopByHop}, [][]byte{extHdr(8)}, body, fragSpec{off: 0, n: 16})...))
	f.Add(append([]byte{0}, build6(1, 17, []uint8{nhAH}, [][]byte{{0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}}, body, fragSpec{off: 8, n: 8})...))
	r := New(Config{MaxDatagrams: 4})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 1 {
			return
		}
		d := rawDissection([]byte{0x40}, fragSpec{timeNs: int64(len(in))})
		d.NetOff = uint32(in[0])
		res, _ := r.Add(&d, in[1:])
		if res.Complete {
			dg := res.Datagram
			switch res.IPVersion {
			case 4:
				if int(binary.BigEndian.Uint16(dg[2:])) != len(dg) {
					t.Fatalf("IPv4 total length %d, %d bytes", binary.BigEndian.Uint16(dg[2:]), len(dg))
				}
			case 6:
				if int(binary.BigEndian.Uint16(dg[4:])) != len(dg)-40 {
					t.Fatalf("IPv6 payload length %d, %d bytes", binary.BigEndian.Uint16(dg[4:]), len(dg))
				}
			}
		}
		r.Expire(int64(len(in)), func(Incomplete) {})
	})
}
