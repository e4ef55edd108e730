package replay

import (
	"bytes"
	"testing"
)

// TestEPBUnpaddedData: an Enhanced Packet Block whose 90 bytes of packet
// data are followed by its option at once, not padded to 32 bits, the
// block still a whole number of words: tshark -r on such a file says
// "appears to be damaged or corrupt (pcapng: Not enough data to handle
// option of length 26984)", the option read from the boundary after the
// data. The reader read it without a word (D21 of a new user's trial); it
// now counts it in BadOptions, keeps the packet and reads on. Blocks with
// well-formed options (ngEPB's epb_flags and comment) count nothing; both
// byte orders (little-endian takes File.epb's fast path).
func TestEPBUnpaddedData(t *testing.T) {
	for _, bo := range []order{le, be} {
		data := frame(0x10, 90)
		body := bo.AppendUint32(nil, 0)
		body = bo.AppendUint32(body, 0)
		body = bo.AppendUint32(body, 1_000_000)
		body = bo.AppendUint32(body, uint32(len(data)))
		body = bo.AppendUint32(body, uint32(len(data)))
		body = append(body, data...)
		body = append(body, ngOpt(bo, 1, []byte("hi"))[:6]...) // a comment "hi" right after the data
		if len(body)%4 != 0 {
			t.Fatalf("test block body of %d bytes", len(body))
		}
		file := cat(ngSHB(bo), ngIDB(bo, 1, 0), ngEPB(bo, 0, 1, 60, frame(1, 60)), ngBlock(bo, blockEPB, body), ngEPB(bo, 0, 3, 61, frame(2, 61)))
		f, err := NewReader(bytes.NewReader(file), "unpadded.pcapng", int64(len(file)))
		if err != nil {
			t.Fatal(err)
		}
		recs, err := readAll(t, f)
		if err != nil || len(recs) != 3 || len(recs[1].data) != 90 || recs[1].data[0] != 0x10 || len(recs[2].data) != 61 {
			t.Fatalf("%v: %d packets, %v; want 3, the second 90 bytes", bo, len(recs), err)
		}
		if s := f.Stats(); s.BadOptions != 1 {
			t.Errorf("%v: BadOptions %d, want 1", bo, s.BadOptions)
		}
	}
}
