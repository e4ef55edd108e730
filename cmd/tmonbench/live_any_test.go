package main

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/internal/netlab"
)

// TestLiveAny: `live -i any` captures on every interface that is up (here
// the lab namespace's lo and its veth end), each on a socket of its own
// with its name in the tables, and says which it left out (a veth that is
// down) and that it takes none into promiscuous mode, as tcpdump -i any.
// The datagrams the lab sends are the truth: 40 from A to B over the veth
// and 15 over lo, each counted once (the capture skips lo's outgoing
// copies: live/socket.go).
func TestLiveAny(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t)
	down, _ := lab.AddVeth(t, "d")
	if err := lab.A.Command("ip", "link", "set", down, "down").Run(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	p := startLiveProc(t, lab.A, "-i", "any", "--out", out, "--name", "any", "--duration", "3s", "--filter", "udp port 9100")
	a := netip.MustParseAddr(netlab.AddrA)
	if _, err := lab.UDPFrom(a, 40, 64, time.Millisecond, 9100); err != nil {
		t.Fatal(err)
	}
	lo := netip.MustParseAddr("127.0.0.1")
	if _, err := netlab.UDP(lab.A, lab.A, lo, lo, 9100, 15, 64, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	stdout := strings.Join(p.wait(t), "\n")
	stderr := p.stderr.String()
	if want := "capturing on lo, " + lab.IfA + " "; !strings.Contains(stdout, want) {
		t.Errorf("stdout does not say %q:\n%s", want, stdout)
	}
	for _, want := range []string{
		"tmonbench live: note: -i any: interface " + down + " is down (ip link set " + down + " up): left out\n",
		"tmonbench live: note: -i any: lo, " + lab.IfA + " (",
		"none put in promiscuous mode, as tcpdump -i any)",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
	got := csvQuery(t, out, "SELECT interface, src_addr, dst_addr, packets FROM flows WHERE class = 'all' AND dst_port = 9100 ORDER BY interface")
	want := "interface,src_addr,dst_addr,packets\nlo,127.0.0.1,127.0.0.1,15\n" + lab.IfA + "," + netlab.AddrA + "," + netlab.AddrB + ",40\n"
	if got != want {
		t.Errorf("flows to port 9100:\n%s\nwant\n%s", got, want)
	}
}

// TestLiveAnyAlone: any stands for every interface, so naming another one
// beside it (or a --pair) is a usage mistake (exit status 2), said before
// anything is opened.
func TestLiveAnyAlone(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-i", "any", "-i", "lo"}, {"-i", "lo", "-i", "any"}} {
		code, _, stderr := tmon(t, append([]string{"live", "--out", filepath.Join(t.TempDir(), "out")}, args...)...)
		if code != 2 || !strings.Contains(stderr, "-i any stands for every interface: give it alone") {
			t.Errorf("live %v: exit %d, %q; want 2 and the usage line", args, code, stderr)
		}
	}
}
