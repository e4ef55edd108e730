package replay

import (
	"bytes"
	"errors"
	"testing"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// TestGzipCutBeforeMagic: a gzip stream cut before it yields the capture's
// first 4 bytes (here after its 10-byte header, RFC 1952 §2.3: no deflate
// block follows) is a truncated capture, said so, not "0 bytes: not a pcap
// or pcapng file" (a trial's `head -c 100 x.pcap.gz`; gzip -t says
// "unexpected end of file"). A whole stream holding under 4 bytes is still
// not a capture.
func TestGzipCutBeforeMagic(t *testing.T) {
	z := gz(t, bytes.Repeat([]byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0}, 64))
	cut := z[:10]
	_, err := NewReader(bytes.NewReader(cut), "cut.pcap.gz", int64(len(cut)))
	if !errors.Is(err, pkt.ErrTruncated) {
		t.Fatalf("gzip cut after its header: %v, want a truncated capture", err)
	}
	if want := "replay: cut.pcap.gz: gzip stream cut short (0 bytes decompressed): capture truncated"; err.Error() != want {
		t.Errorf("error %q\nwant  %q", err, want)
	}
	small := gz(t, []byte{0xd4, 0xc3})
	_, err = NewReader(bytes.NewReader(small), "small.gz", int64(len(small)))
	if !errors.Is(err, ErrNotCapture) {
		t.Errorf("a whole gzip of 2 bytes: %v, want not a capture", err)
	}
}
