package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestCapturesNames: probe names from paths are unique and readable (the
// parent folder, not a -N suffix), folders and globs are one probe (one
// interface) over their files in name order, "-" is standard input.
func TestCapturesNames(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"ftp/A.pcap", "tcp-mix/A.pcap", "rot/eth0-01.pcap", "rot/eth0-00.pcap", "rot/.hidden", "x/ftp/A.pcap", "rot2/eth1-00.pcap", "rot2/eth1-01.pcap"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755)
		os.WriteFile(filepath.Join(dir, f), nil, 0o644)
	}
	in := func(p string) string { return filepath.Join(dir, p) }
	caps, err := Captures([]string{in("ftp/A.pcap"), in("tcp-mix/A.pcap"), in("x/ftp/A.pcap"), in("rot"), in("rot2/eth1-*.pcap"), "-"}, []string{"B=" + in("ftp/A.pcap")})
	if err != nil {
		t.Fatal(err)
	}
	want := []Capture{
		{Path: in("ftp/A.pcap"), Probe: "B"},
		{Path: in("ftp/A.pcap"), Probe: filepath.Base(dir) + "/ftp/A"},
		{Path: in("tcp-mix/A.pcap"), Probe: "tcp-mix/A"},
		{Path: in("x/ftp/A.pcap"), Probe: "x/ftp/A"},
		{Path: in("rot/eth0-00.pcap"), Probe: "rot", Iface: "if0", Found: true},
		{Path: in("rot/eth0-01.pcap"), Probe: "rot", Iface: "if0", Found: true},
		{Path: in("rot2/eth1-00.pcap"), Probe: "eth1", Iface: "if0", Found: true},
		{Path: in("rot2/eth1-01.pcap"), Probe: "eth1", Iface: "if0", Found: true},
		{Path: "-", Probe: "stdin"},
	}
	if !reflect.DeepEqual(caps, want) {
		t.Errorf("got\n%+v\nwant\n%+v", caps, want)
	}
	ids, routes, err := Assign(caps)
	if err != nil {
		t.Fatal(err)
	}
	if r := routes[4]; ids[r.Probe].Name != "rot" || len(ids[r.Probe].Interfaces) != 1 || !reflect.DeepEqual(routes[5], r) {
		t.Errorf("a folder is one probe, one interface: %+v %+v", ids[r.Probe], routes[4:6])
	}
	if _, err := Captures([]string{"-", "-"}, nil); !errors.Is(err, ErrCaptureSpec) {
		t.Errorf("Captures(-, -) = %v, want ErrCaptureSpec", err)
	}
	// A file the arguments name twice, by any path, is refused: two probes
	// would see the same packets (--probe names them when that is meant).
	for _, twice := range [][]string{
		{in("ftp/A.pcap"), in("ftp/A.pcap")},
		{in("ftp/A.pcap"), in("ftp/../ftp/A.pcap")},
		{in("rot"), in("rot/eth0-*.pcap")},
		{in("rot/eth0-00.pcap"), in("rot")},
	} {
		if _, err := Captures(twice, nil); !errors.Is(err, ErrCaptureSpec) {
			t.Errorf("Captures(%q) = %v, want ErrCaptureSpec", twice, err)
		}
	}
	// Two specs giving one probe the same file, on any interface and by any
	// path, are refused: the probe would count every packet twice (a trial
	// of main at a67f0f4 replayed zeek_wikipedia.pcap, 126 IP packets by
	// tshark -Y "ip or ipv6", as 252 under --probe A/eth0=F --probe A/eth0=F).
	// Under two probes the file is allowed (README: --probe A=F --probe B=F).
	for _, twice := range [][]string{
		{"A/eth0=" + in("ftp/A.pcap"), "A/eth0=" + in("ftp/A.pcap")},
		{"A=" + in("ftp/A.pcap"), "A=" + in("ftp/A.pcap")},
		{"A/eth0=" + in("ftp/A.pcap"), "A/eth1=" + in("ftp/../ftp/A.pcap")},
		{"A=" + in("ftp/A.pcap"), "B=" + in("tcp-mix/A.pcap"), "A/eth1=" + in("ftp/A.pcap")},
	} {
		if _, err := Captures(nil, twice); !errors.Is(err, ErrCaptureSpec) {
			t.Errorf("Captures(nil, %q) = %v, want ErrCaptureSpec", twice, err)
		}
	}
	for _, ok := range [][]string{
		{"A=" + in("ftp/A.pcap"), "B=" + in("ftp/A.pcap")},
		{"A/eth0=" + in("ftp/A.pcap"), "B/eth0=" + in("ftp/A.pcap")},
		{"A/eth0=" + in("ftp/A.pcap"), "A/eth1=" + in("tcp-mix/A.pcap")},
	} {
		if _, err := Captures(nil, ok); err != nil {
			t.Errorf("Captures(nil, %q) = %v, want no error", ok, err)
		}
	}
	empty := in("empty")
	os.Mkdir(empty, 0o755)
	for _, bad := range []string{in("nothing-*.pcap"), empty} {
		if _, err := Captures([]string{bad}, nil); !errors.Is(err, ErrNoCaptureFile) || errors.Is(err, ErrCaptureSpec) {
			t.Errorf("Captures(%q) = %v, want ErrNoCaptureFile", bad, err)
		}
	}
}
