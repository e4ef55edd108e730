package replay

import (
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestScanInterfaces (issue 15.11): edge 17 (pcapng with several sections
// and interfaces of different timestamp resolutions) describes 3
// interfaces over 2 sections; Open knows only those before the first
// packet, ScanInterfaces all of them, in file-wide order (Meta.Iface).
func TestScanInterfaces(t *testing.T) {
	path := filepath.Join(testsamples.Dir(t), "edge/17-pcapng-sections-tsresol/input.pcapng")
	got, err := ScanInterfaces(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for {
		if _, _, err := f.Next(); err != nil {
			break
		}
	}
	want := f.Interfaces()
	if len(got) != len(want) || len(got) < 2 {
		t.Fatalf("scan: %+v\nread: %+v", got, want)
	}
	for i := range got {
		got[i].Packets, want[i].Packets = 0, 0
		if got[i] != want[i] {
			t.Errorf("interface %d: scan %+v, read %+v", i, got[i], want[i])
		}
	}
	if _, err := ScanInterfaces(filepath.Join(t.TempDir(), "none.pcap")); err == nil {
		t.Error("missing file: no error")
	}
}
