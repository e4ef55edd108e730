package config

import (
	"cmp"
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
// sees that hop, and every packet that should reach it counts as dropped
// there (not lost or missed: nobody reported it).
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
				w = append(w, fmt.Sprintf("%s:%d: one-way class %q: hop %q is of no probe in the probes list (%s): nothing is observed there, so every packet that should reach it counts as dropped on the pairs with it (not lost or missed)",
					c.file, cl.line, cl.Name, h, strings.Join(names, ", ")))
			}
		}
	}
	return w
}

// DefaultCollector returns the regulation a collector's fields set to 0
// or left out take: engine/pdu's DefaultSenderConfig in the config's
// units (engine/pdu's TestDefaultCollector checks that they agree).
func DefaultCollector() Collector {
	return Collector{MaxPDUBytes: 1400, MaxBuildS: 1, MinGapMs: 1, InitialTimeoutS: 2, TimeoutIncrementS: 1, TimeoutMultiplier: 1.5,
		MaxRetries: 5, FinalTimeoutS: 600, BreakBorderS: 30, HeartbeatS: 10, BacklogS: 10, MaxPermanentMB: 4, SpoolMaxMB: 1024}
}

// checkBuildBelowTimeout refuses a collector whose max_build_s is not
// below the timeout_s of every one-way class (a config without collectors:
// the default regulation's, 1 s). The collector classifies a one-way
// packet once every hop's clock, the build time of the latest PDU it
// received from that hop's probe, has passed the packet plus timeout_s;
// an observation may wait up to max_build_s in its probe before its PDU is
// built, so only with max_build_s below timeout_s is every observation of
// a packet there before the packet is classified (engine/oneway
// Reconciler.Advance).
func (c *Config) checkBuildBelowTimeout(bad func(int, string, string, ...any) error) error {
	type reg struct {
		field string
		line  int // the collector's, when it leaves max_build_s out
		v     float64
	}
	regs := []reg{{"", 0, DefaultCollector().MaxBuildS}}
	if len(c.Collectors) > 0 {
		regs = regs[:0]
		for i, cl := range c.Collectors {
			f := fmt.Sprintf("collectors[%d]", i)
			regs = append(regs, reg{f + ".max_build_s", c.lineOf(f, ""), cmp.Or(cl.MaxBuildS, DefaultCollector().MaxBuildS)})
		}
	}
	for i := range c.Classes {
		cl := &c.Classes[i]
		if !cl.Has(AnalysisOneway) {
			continue
		}
		f := fmt.Sprintf("classes[%d]", cl.index)
		for _, r := range regs {
			if r.v < cl.Oneway.TimeoutS {
				continue
			}
			if r.field == "" {
				return bad(cl.line, f+".oneway.timeout_s", "must be above %g, the max_build_s of the default regulation (no collector listed): a PDU may hold an observation that long before it is built, and the collector classifies a packet timeout_s after it (0 or absent: 5), got %g",
					r.v, cl.Oneway.TimeoutS)
			}
			return bad(r.line, r.field, "must be below %g, the one-way timeout_s of class %q: a PDU may hold an observation that long before it is built, and the collector classifies a packet timeout_s after it (0 or absent: %g), got %g",
				cl.Oneway.TimeoutS, cl.Name, DefaultCollector().MaxBuildS, r.v)
		}
	}
	return nil
}

// checkRegulation refuses a negative regulation number; its error says
// the default 0 stands for.
func (cl *Collector) checkRegulation(bad func(int, string, string, ...any) error, f string) error {
	d := DefaultCollector()
	for _, v := range []struct {
		name   string
		v, def float64
	}{{"max_build_s", cl.MaxBuildS, d.MaxBuildS}, {"min_gap_ms", cl.MinGapMs, d.MinGapMs}, {"initial_timeout_s", cl.InitialTimeoutS, d.InitialTimeoutS},
		{"timeout_increment_s", cl.TimeoutIncrementS, d.TimeoutIncrementS}, {"timeout_multiplier", cl.TimeoutMultiplier, d.TimeoutMultiplier},
		{"max_retries", float64(cl.MaxRetries), float64(d.MaxRetries)}, {"final_timeout_s", cl.FinalTimeoutS, d.FinalTimeoutS},
		{"break_border_s", cl.BreakBorderS, d.BreakBorderS}, {"heartbeat_s", cl.HeartbeatS, d.HeartbeatS}, {"backlog_s", cl.BacklogS, d.BacklogS},
		{"max_permanent_mb", cl.MaxPermanentMB, d.MaxPermanentMB}, {"spool_max_mb", cl.SpoolMaxMB, d.SpoolMaxMB}} {
		if !(v.v >= 0) { // also NaN
			return bad(0, f+"."+v.name, "must not be negative (0 or absent: %g), got %g", v.def, v.v)
		}
	}
	return nil
}
