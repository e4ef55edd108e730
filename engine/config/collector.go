package config

import "net"

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
