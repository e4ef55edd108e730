package replay

import (
	"bytes"
	"io"
	"testing"

	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestIndexSeek indexes captures of every kind (pcap, pcapng with several
// sections and interfaces, gzip) and checks that reading from each index
// entry with OpenAt yields exactly the packets a sequential read yields
// from that frame on.
func TestIndexSeek(t *testing.T) {
	for _, rel := range [][]string{
		{"pcap", "mixed", "zeek_wikipedia.pcap"},
		{"lab", "ftp", "A.pcap"},
		{"pcap", "pcapng-multi-if", "gopacket_pcapgo_le_test300.pcapng"},
		{"edge", "17-pcapng-sections-tsresol", "input.pcapng"},
		{"lab", "oneway-icmp", "B.pcap.gz"},
	} {
		path := testsamples.Path(t, rel...)
		t.Run(rel[len(rel)-1], func(t *testing.T) {
			type rec struct {
				data []byte
				m    pkt.Meta
			}
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			ix := NewIndexer(f, "p", "if0", path, 7, 0)
			var all []rec
			for {
				data, m, err := ix.Next()
				if err != nil {
					break
				}
				all = append(all, rec{append([]byte(nil), data...), m})
			}
			ix.Close()
			es := ix.Entries()
			if len(all) == 0 || len(es) != (len(all)+6)/7 {
				t.Fatalf("%d packets, %d entries", len(all), len(es))
			}
			for _, e := range es {
				g, err := OpenAt(path, e.Offset, e.Frame, e.Ifaces)
				if err != nil {
					t.Fatalf("OpenAt %+v: %v", e, err)
				}
				for i := int(e.Frame) - 1; i < len(all) && i < int(e.Frame)+20; i++ {
					data, m, err := g.Next()
					if err != nil {
						t.Fatalf("entry %+v: packet %d: %v", e, i+1, err)
					}
					w := all[i]
					if m != w.m || !bytes.Equal(data, w.data) {
						t.Fatalf("entry %+v: packet %d differs: %+v vs %+v", e, i+1, m, w.m)
					}
					if i == int(e.Frame)-1 && m.TimeNs != e.Time {
						t.Fatalf("entry time %d, packet time %d", e.Time, m.TimeNs)
					}
				}
				g.Close()
			}
			// the index's last entry read to the end gives the rest
			last := es[len(es)-1]
			g, err := OpenAt(path, last.Offset, last.Frame, last.Ifaces)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for {
				if _, _, err := g.Next(); err == io.EOF {
					break
				} else if err != nil {
					t.Fatal(err)
				}
				n++
			}
			if want := len(all) - int(last.Frame) + 1; n != want {
				t.Fatalf("from the last entry: %d packets, want %d", n, want)
			}
		})
	}
}
