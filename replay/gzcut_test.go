package replay

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"

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

// TestGzipTrailingData: bytes after a gzip file's last member that do not
// start another member (RFC 1952 §2.2) are ignored and counted, as gzip
// does, not read as a capture cut short (a trial's .gz with trailing
// garbage: "record header cut short … capture truncated", though every
// packet was read). testdata/ntp-trailing.pcap.gz is `gzip -n -9 -c
// samples/zeek_ntp.pcap` (543 bytes) and the 25 bytes
// "GARBAGE-after-the-stream\n"; `gzip -t` says "decompression OK,
// trailing garbage ignored"; `tshark -r samples/zeek_ntp.pcap` counts 12
// packets. Trailing data shorter than a gzip header (3 bytes: "xx\n", the
// trial's message) likewise; two members (the pcap split in two, as `cat
// a.gz b.gz` makes) are one stream, as gzip -d reads it, nothing trailing.
func TestGzipTrailingData(t *testing.T) {
	committed, err := os.ReadFile(filepath.Join("testdata", "ntp-trailing.pcap.gz"))
	if err != nil {
		t.Fatal(err)
	}
	member := committed[:len(committed)-25]
	zr, err := gzip.NewReader(bytes.NewReader(member))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr) // samples/zeek_ntp.pcap, 1296 bytes
	if err != nil || len(plain) != 1296 {
		t.Fatalf("the committed member holds %d bytes (%v), want zeek_ntp.pcap's 1296", len(plain), err)
	}
	for _, c := range []struct {
		name     string
		in       []byte
		trailing uint64
	}{
		{"committed", committed, 25},
		{"short", append(bytes.Clone(member), "xx\n"...), 3},
		{"two members", append(gz(t, plain[:700]), gz(t, plain[700:])...), 0},
		{"one member", member, 0},
	} {
		f, err := NewReader(bytes.NewReader(c.in), c.name+".pcap.gz", int64(len(c.in)))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		recs, err := readAll(t, f)
		if st := f.Stats(); err != nil || len(recs) != 12 || st.Records != 12 || st.TrailingBytes != c.trailing {
			t.Errorf("%s: %d packets (%d records), trailing %d bytes, error %v: want 12, 12, %d, none",
				c.name, len(recs), st.Records, st.TrailingBytes, err, c.trailing)
		}
	}
}
