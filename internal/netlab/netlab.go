//go:build linux

// Package netlab is the live tests' network lab: two network namespaces
// of the test's own joined by a veth pair (iproute2's ip netns and ip
// link), code run inside either namespace from the test process, and a
// small traffic generator whose every packet is known (gen.go). Traffic
// never leaves the namespaces. Tests that need it call Need, which skips
// without root or iproute2 and fails under CI=true, where .ci/run
// installs iproute2 and runs as root.
package netlab

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// Addresses of the two ends (TEST-NET-1, RFC 5737; documentation IPv6,
// RFC 3849), inside the lab's namespaces only.
const (
	AddrA  = "192.0.2.1"
	AddrB  = "192.0.2.2"
	Addr6A = "2001:db8::1"
	Addr6B = "2001:db8::2"
)

// Lab is two namespaces, A and B, joined by a veth pair: IfA in A (AddrA)
// and IfB in B (AddrB).
type Lab struct {
	A, B     *NS
	IfA, IfB string
}

// NS is a network namespace created by the test.
type NS struct {
	Name string
	fd   int
}

// Need skips the test when the lab cannot be built here (not root, no
// ip command), and fails it under CI=true.
func Need(t testing.TB) {
	t.Helper()
	why := ""
	if os.Geteuid() != 0 {
		why = "needs root (network namespaces, AF_PACKET)"
	} else if _, err := exec.LookPath("ip"); err != nil {
		why = "needs iproute2's ip command"
	}
	if why == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("live lab test %s: CI must run it (as root, with iproute2 from .ci/run)", why)
	}
	t.Skipf("live lab test %s: skipped (run as root: sudo go test ./live/...)", why)
}

var seq atomic.Int64

// New builds a lab: two fresh namespaces, a veth pair between them with
// IPv4 and IPv6 addresses, every link up, IPv6 duplicate address detection
// off (no delay, no stray packets). Cleanup removes it all.
func New(t testing.TB) *Lab {
	t.Helper()
	Need(t)
	id := fmt.Sprintf("%d-%d", os.Getpid()%100000, seq.Add(1))
	l := &Lab{IfA: "tmbA" + id, IfB: "tmbB" + id}
	if len(l.IfA) > 15 {
		l.IfA, l.IfB = l.IfA[:15], l.IfB[:15]
	}
	l.A = newNS(t, "tmb-a-"+id)
	l.B = newNS(t, "tmb-b-"+id)
	run(t, "ip", "link", "add", l.IfA, "netns", l.A.Name, "type", "veth", "peer", "name", l.IfB, "netns", l.B.Name)
	for _, e := range []struct {
		ns         *NS
		ifc, a, a6 string
	}{{l.A, l.IfA, AddrA, Addr6A}, {l.B, l.IfB, AddrB, Addr6B}} {
		run(t, "ip", "-n", e.ns.Name, "link", "set", "lo", "up")
		run(t, "ip", "netns", "exec", e.ns.Name, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
		run(t, "ip", "-n", e.ns.Name, "addr", "add", e.a+"/24", "dev", e.ifc)
		run(t, "ip", "-n", e.ns.Name, "addr", "add", e.a6+"/64", "dev", e.ifc, "nodad")
		run(t, "ip", "-n", e.ns.Name, "link", "set", e.ifc, "up")
	}
	l.A.WaitRunning(t, l.IfA)
	l.B.WaitRunning(t, l.IfB)
	return l
}

// WaitRunning waits until ifc has its carrier (IFF_RUNNING): a veth end
// drops what is sent before that.
func (n *NS) WaitRunning(t testing.TB, ifc string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute) // bounds a hang
	for {
		var up bool
		n.Do(func() error {
			ifi, err := net.InterfaceByName(ifc)
			up = err == nil && ifi.Flags&net.FlagRunning != 0
			return nil
		})
		if up {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s in %s: no carrier after a minute", ifc, n.Name)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// AddVeth adds a second veth pair between the namespaces, with no address
// (a tap's monitor ports), and returns its two ends' names, without
// waiting for their carrier (a test of a link without one sets an end
// down at once): WaitRunning waits.
func (l *Lab) AddVeth(t testing.TB, suffix string) (string, string) {
	t.Helper()
	a, b := l.IfA+suffix, l.IfB+suffix
	if len(a) > 15 {
		a, b = a[len(a)-15:], b[len(b)-15:]
	}
	run(t, "ip", "link", "add", a, "netns", l.A.Name, "type", "veth", "peer", "name", b, "netns", l.B.Name)
	run(t, "ip", "-n", l.A.Name, "link", "set", a, "up")
	run(t, "ip", "-n", l.B.Name, "link", "set", b, "up")
	return a, b
}

func newNS(t testing.TB, name string) *NS {
	t.Helper()
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	fd, err := unix.Open("/run/netns/"+name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open namespace %s: %v", name, err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return &NS{Name: name, fd: fd}
}

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
}

// Do runs fn on an OS thread moved into the namespace: the sockets fn
// opens (listeners, packet sockets, connections) belong to the namespace
// for their whole life, whichever goroutine uses them later. The thread
// returns to the original namespace afterwards.
func (n *NS) Do(fn func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(orig)
	if err := unix.Setns(n.fd, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("setns %s: %w", n.Name, err)
	}
	defer func() {
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			panic("netlab: cannot return to the original network namespace: " + err.Error())
		}
	}()
	return fn()
}

// Command returns cmd to run inside the namespace (ip netns exec).
func (n *NS) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", n.Name, name}, args...)...)
}

// Tap builds a passive tap on B's end of the link (design 1.14.1): two
// more veth pairs in B, and tc mirred actions that copy what IfB receives
// (A to B) to the first and what it sends (B to A) to the second. It
// returns the two monitor interfaces, in B, each seeing one direction.
func (l *Lab) Tap(t testing.TB) (aToB, bToA string) {
	t.Helper()
	ns := l.B.Name
	for _, p := range [][2]string{{"tapin0", "tapin1"}, {"tapout0", "tapout1"}} {
		run(t, "ip", "-n", ns, "link", "add", p[0], "type", "veth", "peer", "name", p[1])
		run(t, "ip", "-n", ns, "link", "set", p[0], "up")
		run(t, "ip", "-n", ns, "link", "set", p[1], "up")
	}
	run(t, "ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", l.IfB, "clsact")
	run(t, "ip", "netns", "exec", ns, "tc", "filter", "add", "dev", l.IfB, "ingress", "protocol", "all", "u32", "match", "u32", "0", "0", "action", "mirred", "egress", "mirror", "dev", "tapin0")
	run(t, "ip", "netns", "exec", ns, "tc", "filter", "add", "dev", l.IfB, "egress", "protocol", "all", "u32", "match", "u32", "0", "0", "action", "mirred", "egress", "mirror", "dev", "tapout0")
	for _, ifc := range []string{"tapin0", "tapin1", "tapout0", "tapout1"} {
		l.B.WaitRunning(t, ifc) // a veth end drops what is sent before
	}
	return "tapin1", "tapout1"
}

// AddAddrs adds n more IPv4 addresses to A (192.0.2.10 ...) and returns them.
func (l *Lab) AddAddrs(t testing.TB, n int) []string {
	t.Helper()
	var out []string
	for i := 0; i < n; i++ {
		a := fmt.Sprintf("192.0.2.%d", 10+i)
		run(t, "ip", "-n", l.A.Name, "addr", "add", a+"/24", "dev", l.IfA)
		out = append(out, a)
	}
	return out
}

// Inject writes raw link-layer frames on interface ifc of ns through an
// AF_PACKET socket (for frames the stack would not build: VLAN tags
// without VLAN devices, odd headers).
func (n *NS) Inject(ifc string, frames [][]byte) error {
	return n.Do(func() error {
		ifi, err := net.InterfaceByName(ifc)
		if err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		sa := &unix.SockaddrLinklayer{Ifindex: ifi.Index}
		for _, f := range frames {
			if err := unix.Sendto(fd, f, 0, sa); err != nil {
				return err
			}
		}
		return nil
	})
}

// MAC returns the hardware address of ifc in ns.
func (n *NS) MAC(ifc string) (net.HardwareAddr, error) {
	var mac net.HardwareAddr
	err := n.Do(func() error {
		ifi, err := net.InterfaceByName(ifc)
		if err == nil {
			mac = ifi.HardwareAddr
		}
		return err
	})
	return mac, err
}

// Routed is a three-namespace path: A (192.0.2.1) and C (198.51.100.1)
// on either side of router R, which forwards between its interfaces R0
// (towards A, 192.0.2.254) and R1 (towards C, 198.51.100.254): a probe in
// R sees every packet twice, once per interface, on one clock.
type Routed struct {
	A, R, C *NS
	R0, R1  string
	AddrA   netip.Addr
	AddrC   netip.Addr
}

// NewRouted builds the routed lab; Cleanup removes it.
func NewRouted(t testing.TB) *Routed {
	t.Helper()
	Need(t)
	id := fmt.Sprintf("%d-%d", os.Getpid()%100000, seq.Add(1))
	r := &Routed{A: newNS(t, "tmb-ra-"+id), R: newNS(t, "tmb-rr-"+id), C: newNS(t, "tmb-rc-"+id),
		R0: "r0", R1: "r1", AddrA: netip.MustParseAddr("192.0.2.1"), AddrC: netip.MustParseAddr("198.51.100.1")}
	run(t, "ip", "link", "add", "a0", "netns", r.A.Name, "type", "veth", "peer", "name", r.R0, "netns", r.R.Name)
	run(t, "ip", "link", "add", "c0", "netns", r.C.Name, "type", "veth", "peer", "name", r.R1, "netns", r.R.Name)
	for _, e := range []struct {
		ns        *NS
		ifc, addr string
	}{{r.A, "a0", "192.0.2.1/24"}, {r.R, r.R0, "192.0.2.254/24"}, {r.R, r.R1, "198.51.100.254/24"}, {r.C, "c0", "198.51.100.1/24"}} {
		run(t, "ip", "-n", e.ns.Name, "link", "set", "lo", "up")
		run(t, "ip", "-n", e.ns.Name, "addr", "add", e.addr, "dev", e.ifc)
		run(t, "ip", "-n", e.ns.Name, "link", "set", e.ifc, "up")
	}
	run(t, "ip", "-n", r.A.Name, "route", "add", "default", "via", "192.0.2.254")
	run(t, "ip", "-n", r.C.Name, "route", "add", "default", "via", "198.51.100.254")
	run(t, "ip", "netns", "exec", r.R.Name, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	r.A.WaitRunning(t, "a0")
	r.C.WaitRunning(t, "c0")
	r.R.WaitRunning(t, r.R0)
	r.R.WaitRunning(t, r.R1)
	return r
}

// ReadAll delivers every packet of src to each, in order, until src ends
// (io.EOF: nil) or fails (its error); a live source's pkt.ErrIdle (no
// packet for now) just waits on. data is src's, valid during the call.
func ReadAll(src pkt.Source, each func(data []byte, m pkt.Meta)) error {
	for {
		data, m, err := src.Next()
		switch {
		case errors.Is(err, pkt.ErrIdle):
		case err == io.EOF:
			return nil
		case err != nil:
			return err
		default:
			each(data, m)
		}
	}
}
