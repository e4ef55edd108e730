package config

import (
	"fmt"
	"net"
	"slices"
	"strings"
)

// addressProblem says what is wrong with a collector's UDP address, or
// "" when it is a host:port the probe can send to and the collector
// listen on (a port from 1 to 65535 or a service name, as
// net.SplitHostPort and net.LookupPort read them, without DNS).
func addressProblem(addr string) string {
	if addr == "" {
		return ""
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "want host:port, such as 127.0.0.1:4739 or [::1]:4739"
	}
	if n, err := net.LookupPort("udp", port); err != nil || n == 0 {
		return "want a port from 1 to 65535 (or a service name) after the colon"
	}
	return ""
}

// checkFaults checks the collector's fault injection shares.
func (cl *Collector) checkFaults(bad func(int, string, string, ...any) error, f string) error {
	for _, v := range []struct {
		name string
		v    float64
	}{{"loss", cl.Faults.Loss}, {"dup", cl.Faults.Dup}, {"reorder", cl.Faults.Reorder}, {"corrupt", cl.Faults.Corrupt}} {
		if !(v.v >= 0 && v.v <= 1) {
			return bad(0, f+".faults."+v.name, "must be a share between 0 and 1, got %g", v.v)
		}
	}
	return nil
}

// HopsOutsideProbes returns a warning line for every hop of a one-way
// class whose probe (the part before "/") is not in the probes list, when
// the list names any: a collector accepting only the listed probes never
// sees that hop, and every packet that should reach it counts as lost.
func (c *Config) HopsOutsideProbes() []string {
	if len(c.Probes) == 0 {
		return nil
	}
	var names []string
	for _, p := range c.Probes {
		names = append(names, p.Name)
	}
	var w []string
	for _, cl := range c.Classes {
		if !cl.Has(AnalysisOneway) {
			continue
		}
		for _, h := range cl.Oneway.Hops {
			p, _, _ := strings.Cut(h, "/")
			if !slices.Contains(names, p) {
				w = append(w, fmt.Sprintf("%s:%d: one-way class %q: hop %q is of no probe in the probes list (%s): every packet that should reach it counts as lost",
					c.file, cl.line, cl.Name, h, strings.Join(names, ", ")))
			}
		}
	}
	return w
}
