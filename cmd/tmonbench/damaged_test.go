package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/capgen"
)

// manyIfacesPcapng is a little-endian pcapng (draft-ietf-opsawg-pcapng
// §4.1-4.3): a Section Header Block, n Interface Description Blocks
// (Ethernet, no option) and one Enhanced Packet Block on interface 0.
func manyIfacesPcapng(n int) []byte {
	le := binary.LittleEndian
	b := le.AppendUint32(nil, 0x0A0D0D0A)
	b = le.AppendUint32(b, 28)
	b = le.AppendUint32(b, 0x1A2B3C4D)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint64(b, ^uint64(0)) // section length not given
	b = le.AppendUint32(b, 28)
	for range n {
		b = le.AppendUint32(b, 1)
		b = le.AppendUint32(b, 20)
		b = le.AppendUint32(b, 1) // LINKTYPE_ETHERNET, reserved 0
		b = le.AppendUint32(b, 65535)
		b = le.AppendUint32(b, 20)
	}
	d := capgen.UDP{Src: capgen.AP("192.0.2.1:4000"), Dst: capgen.AP("198.51.100.9:9"), Payload: []byte("x")}.Frame()
	pad := (4 - len(d)%4) % 4
	total := uint32(32 + len(d) + pad)
	us := uint64(capgen.Base / 1000)
	b = le.AppendUint32(b, 6)
	b = le.AppendUint32(b, total)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, uint32(us>>32))
	b = le.AppendUint32(b, uint32(us))
	b = le.AppendUint32(b, uint32(len(d)))
	b = le.AppendUint32(b, uint32(len(d)))
	b = append(b, d...)
	b = append(b, make([]byte, pad)...)
	return le.AppendUint32(b, total)
}

// TestDamagedBeforeFirstPacket: a pcapng describing 65,537 interfaces
// before its first packet is refused as malformed at the 65,537th (the
// reader's bound, replay.maxInterfaces), as README says a damaged capture
// is: a warning and a capture_damaged event. The event went to a probe
// that never started (no packet), so it never reached the events table:
// the run wrote no row at all. Now the replay writes it. The capture is
// built here (manyIfacesPcapng, 1.3 MB in the test's folder).
func TestDamagedBeforeFirstPacket(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	capture := filepath.Join(dir, "many.pcapng")
	if err := os.WriteFile(capture, manyIfacesPcapng(65537), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "o")
	code, _, stderr := tmon(t, "replay", "-q", "--out", out, capture)
	if code != 0 || !strings.Contains(stderr, "more than 65536 interfaces: capture malformed") {
		t.Fatalf("replay: exit %d, stderr %q; want 0 and the damage said", code, stderr)
	}
	code, stdout, stderr := tmon(t, "query", "--out", out, "--format", "csv", "--sql",
		"select kind, severity, source, count(*) n, bool_and(message like '%more than 65536 interfaces%') said from events where severity <> 'info' group by all")
	if want := "kind,severity,source,n,said\ncapture_damaged,warning,replay,1,true\n"; code != 0 || stdout != want {
		t.Errorf("events:\n%s(exit %d %s), want\n%s", stdout, code, stderr, want)
	}
}
