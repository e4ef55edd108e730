package main

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"

	"github.com/tmonbench/tmonbench/engine/config"
)

// capturedIface is what selfCapture needs of a captured interface: its
// name and the prefixes of its addresses (ip addr).
type capturedIface struct {
	Name     string
	Prefixes []netip.Prefix
}

// collectorRoute is a collector a probe process sends its PDUs to: its
// config name, its address resolved, and the interface the route to it
// leaves by ("" unknown).
type collectorRoute struct {
	Name  string
	Addr  netip.AddrPort
	Iface string
}

// selfCapture is the warning of each collector whose PDUs a live probe
// would capture: the route to it leaves by a captured interface, or its
// address lies on a captured interface's subnet (so its datagrams, and
// the acknowledgements coming back, cross that interface and are counted
// as a udp flow like any other, in every interval). Each line names the
// flow and the filter that leaves it out. None when no collector is
// reached through a captured interface.
func selfCapture(probe string, colls []collectorRoute, ifaces []capturedIface) []string {
	var out []string
	for _, c := range colls {
		a := c.Addr.Addr().Unmap()
		why := ""
		for _, in := range ifaces {
			if in.Name == c.Iface && c.Iface != "" {
				why = fmt.Sprintf("the route to it leaves by captured interface %s", in.Name)
				break
			}
			if slices.ContainsFunc(in.Prefixes, func(p netip.Prefix) bool { return p.Contains(a) }) {
				why = fmt.Sprintf("its address is on the subnet of captured interface %s", in.Name)
				break
			}
		}
		if why == "" {
			continue
		}
		out = append(out, fmt.Sprintf("probe %s: collector %s (%s): %s: the probe captures its own PDUs (udp to %s port %d, and the acknowledgements back) and counts them as a flow; "+
			"leave them out with --filter 'not (udp and host %s and port %d)', or the same in the config's class filters",
			probe, c.Name, c.Addr, why, a, c.Addr.Port(), a, c.Addr.Port()))
	}
	return out
}

// warnSelfCapture warns, at a live probe's start, of the collectors of cfg
// reached through the captured interfaces names (selfCapture): the
// interface of each address and the route's interface (the local address
// a UDP socket connected to the collector is given: no packet is sent)
// are read from the system. A collector whose address cannot be resolved
// is not warned of (sending to it says why).
func warnSelfCapture(w io.Writer, probe string, cfg *config.Config, names []string) {
	byAddr := map[netip.Addr]string{}
	var ifaces []capturedIface
	all, _ := net.Interfaces()
	for _, ifi := range all {
		addrs, _ := ifi.Addrs()
		var ps []netip.Prefix
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if p, err := netip.ParsePrefix(n.String()); err == nil {
					ps = append(ps, p.Masked())
					ip, _ := netip.AddrFromSlice(n.IP)
					byAddr[ip.Unmap()] = ifi.Name
				}
			}
		}
		if slices.Contains(names, ifi.Name) {
			ifaces = append(ifaces, capturedIface{Name: ifi.Name, Prefixes: ps})
		}
	}
	var colls []collectorRoute
	for _, c := range cfg.Collectors {
		ua, err := net.ResolveUDPAddr("udp", c.Address)
		if err != nil {
			continue
		}
		ap := ua.AddrPort()
		r := collectorRoute{Name: c.Name, Addr: netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())}
		if conn, err := net.DialUDP("udp", nil, ua); err == nil { // connect(2) only: the route's source address
			if la, ok := conn.LocalAddr().(*net.UDPAddr); ok {
				r.Iface = byAddr[la.AddrPort().Addr().Unmap()]
			}
			conn.Close()
		}
		colls = append(colls, r)
	}
	for _, line := range selfCapture(probe, colls, ifaces) {
		warnf(w, "probe", "%s", line)
	}
}
