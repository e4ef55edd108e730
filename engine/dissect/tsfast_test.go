package dissect

import (
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testsamples"
	"github.com/tmonbench/tmonbench/replay"
)

// optionsByLoop checks that tcp's result on the TCP header avail holds the
// options tcpOptions' loop reads from the same bytes (its NOP, NOP,
// Timestamps shortcut included), with the same malformed-option count.
// It reports whether the header's options are that shortcut's layout.
func optionsByLoop(t *testing.T, name string, avail []byte, announced int, first bool) bool {
	t.Helper()
	var got Dissection
	got.WScale = -1
	if first {
		got.Flags |= IsFrag
	}
	dg := New()
	dg.tcp(avail, announced, &got)
	if got.Flags&HasTCP == 0 || got.Flags&TCPFlagsCut != 0 || len(avail) < 20 {
		return false // no options read
	}
	doff := int(avail[12]>>4) * 4
	optEnd := min(doff, len(avail))
	want := got
	want.Flags &^= HasTCPTS
	want.MSS, want.WScale, want.SACKPerm, want.SACKBlocks, want.TSVal, want.TSEcr = 0, -1, false, 0, 0, 0
	dw := New()
	if optEnd > 20 {
		dw.tcpOptions(avail[20:optEnd], &want, doff > len(avail))
	}
	if !reflect.DeepEqual(got, want) || dg.Stats.Kinds[KindTCPBadOption] != dw.Stats.Kinds[KindTCPBadOption] {
		t.Fatalf("%s: tcp %+v (bad options %d), the option loop %+v (%d)", name, got, dg.Stats.Kinds[KindTCPBadOption], want, dw.Stats.Kinds[KindTCPBadOption])
	}
	return optEnd == 32 && binary.BigEndian.Uint32(avail[20:]) == tsOptions
}

// TestTCPTimestampsShortcut: tcp's shortcut for the options NOP, NOP,
// Timestamps gives what the option loop gives, on every TCP header of
// every capture of testdata (both layouts occur) and on headers built
// next to the shortcut's layout: a timestamps option of length 11, the
// options in another order, an MSS option after them, a header cut by
// the snap length inside or right after those 12 bytes, a first
// fragment.
func TestTCPTimestampsShortcut(t *testing.T) {
	hdr := func(doff int, opts ...byte) []byte {
		b := make([]byte, 20, 20+len(opts))
		binary.BigEndian.PutUint16(b[0:], 40000)
		binary.BigEndian.PutUint16(b[2:], 80)
		b[12], b[13] = byte(doff/4)<<4, 0x10
		return append(b, opts...)
	}
	ts := []byte{8, 10, 1, 2, 3, 4, 5, 6, 7, 8}
	cases := []struct {
		name      string
		b         []byte
		announced int
		first     bool
		short     bool // the shortcut's layout
	}{
		{"nop nop ts", hdr(32, append([]byte{1, 1}, ts...)...), 100, false, true},
		{"nop nop ts, cut after", hdr(40, append([]byte{1, 1}, ts...)...), 100, false, true},
		{"nop nop ts, first fragment", hdr(40, append([]byte{1, 1}, ts...)...), 32, true, true},
		{"nop nop ts, cut inside", hdr(32, append([]byte{1, 1}, ts[:8]...)...), 100, false, false},
		{"ts length 11", hdr(32, 1, 1, 8, 11, 1, 2, 3, 4, 5, 6, 7, 8), 100, false, false},
		{"ts nop nop", hdr(32, append(append([]byte(nil), ts...), 1, 1)...), 100, false, false},
		{"nop nop ts mss", hdr(36, append(append([]byte{1, 1}, ts...), 2, 4, 5, 0xb4)...), 100, false, false},
		{"nop nop sack ts", hdr(32, 1, 1, 5, 10, 1, 2, 3, 4, 5, 6, 7, 8), 100, false, false},
	}
	for _, c := range cases {
		if short := optionsByLoop(t, c.name, c.b, c.announced, c.first); short != c.short {
			t.Fatalf("%s: shortcut layout %v, want %v", c.name, short, c.short)
		}
	}

	short, other := 0, 0
	err := filepath.WalkDir(testsamples.Dir(t), func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.Contains(e.Name(), ".pcap") {
			return err
		}
		src, err := replay.Open(path)
		if err != nil {
			return nil // the malformed captures' headers: not frames
		}
		defer src.Close()
		d := New()
		var out Dissection
		for {
			b, m, err := src.Next()
			if errors.Is(err, io.EOF) || err != nil {
				return nil
			}
			if d.Dissect(b, m, &out) != nil || out.Flags&HasTCP == 0 {
				continue
			}
			end := min(int(out.NetOff)+int(out.IPLen), len(b))
			if optionsByLoop(t, path, b[out.L4Off:end], int(out.IPLen)-int(out.L4Off-out.NetOff), out.Flags&IsFrag != 0) {
				short++
			} else {
				other++
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if short < 1000 || other < 1000 {
		t.Fatalf("%d TCP headers with the shortcut's options, %d others: want both kinds", short, other)
	}
	t.Logf("%d TCP headers with the shortcut's options, %d others", short, other)
}
