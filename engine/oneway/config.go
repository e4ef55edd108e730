package oneway

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/tmonbench/tmonbench/engine/config"
)

// ErrConfig is wrapped by every error of Validate and of the
// constructors that validate their configuration.
var ErrConfig = errors.New("oneway: invalid config")

// MaxHops is the longest path a one-way class may name (the reconciler
// keeps a bit per hop in a 16-bit set).
const MaxHops = 16

// Config is the `oneway:` block of a flow class (design 1.2, 3.7, 4.3),
// whose fields config.OnewayOptions documents, with the clock offsets the
// collector adds from the probes. Zero fields take the DefaultConfig
// values (Validate accepts them, the constructors fill them in).
type Config = config.OnewayOptions

// Latency selects the hop pair of the latency histograms and their slices
// (config.OnewayLatency).
type Latency = config.OnewayLatency

// DefaultConfig returns the defaults of the zero fields: 32-bit
// signatures, 5 s timeout, slices 1..100 ms, no records. Hops and the
// latency pair have no default (the pair defaults to first/last hop).
func DefaultConfig() Config {
	return Config{
		SignatureBits: 32,
		TimeoutS:      5,
		Latency:       Latency{SlicesMs: []float64{1, 2, 5, 10, 20, 50, 100}},
	}
}

// withDefaults returns c with its zero fields filled in.
func withDefaults(c Config) Config {
	d := DefaultConfig()
	if c.SignatureBits == 0 {
		c.SignatureBits = d.SignatureBits
	}
	if c.TimeoutS == 0 {
		c.TimeoutS = d.TimeoutS
	}
	if c.Latency.SlicesMs == nil {
		c.Latency.SlicesMs = d.Latency.SlicesMs
	}
	if c.Latency.From == "" && len(c.Hops) > 0 {
		c.Latency.From = c.Hops[0]
	}
	if c.Latency.To == "" && len(c.Hops) > 0 {
		c.Latency.To = c.Hops[len(c.Hops)-1]
	}
	return c
}

// maskConflicts maps a mask name to the granularity field it contradicts.
var maskConflicts = map[string]string{
	"src_addr": config.FieldSrcAddr,
	"dst_addr": config.FieldDstAddr,
	"src_port": config.FieldSrcPort,
	"dst_port": config.FieldDstPort,
	"tos":      config.FieldDSCP,
}

// Validate checks c for a class split by the granularity fields (names of
// config.Fields). It returns an error wrapping ErrConfig that names the
// field: fewer than 2 or more than MaxHops hops, an empty or repeated hop,
// signature_bits outside 16..64, an unknown mask name, a field both in
// granularity and mask (a field a hop rewrites cannot identify the one-way
// flow: every hop must put a packet in the same flow; tos conflicts with
// dscp), a latency pair not on the path or backwards, slices not strictly
// ascending and positive, a negative or non-finite timeout, a clock offset
// for an unknown hop.
func Validate(c *Config, granularity []string) error {
	bad := func(field, format string, a ...any) error {
		return fmt.Errorf("%w: oneway.%s: %s", ErrConfig, field, fmt.Sprintf(format, a...))
	}
	if len(c.Hops) < 2 {
		return bad("hops", "a one-way path needs at least two hops, got %d", len(c.Hops))
	}
	if len(c.Hops) > MaxHops {
		return bad("hops", "at most %d hops, got %d", MaxHops, len(c.Hops))
	}
	for i, h := range c.Hops {
		if h == "" || slices.Contains(c.Hops[:i], h) {
			return bad("hops", "hop %q is empty or named twice", h)
		}
	}
	if c.SignatureBits != 0 && (c.SignatureBits < 16 || c.SignatureBits > 64) {
		return bad("signature_bits", "must be between 16 and 64, got %d", c.SignatureBits)
	}
	for _, m := range c.Mask {
		if !slices.Contains(config.MaskFields, m) {
			return bad("mask", "unknown field %q (known: %s)", m, strings.Join(config.MaskFields, ", "))
		}
		if g, ok := maskConflicts[m]; ok && slices.Contains(granularity, g) {
			return bad("mask", "%q is masked but the class granularity splits flows by %q: a field a hop rewrites cannot identify a one-way flow (every hop must put a packet in the same flow); remove it from granularity or from mask", m, g)
		}
	}
	if c.TimeoutS < 0 || math.IsNaN(c.TimeoutS) || math.IsInf(c.TimeoutS, 0) {
		return bad("timeout_s", "must be a positive number of seconds, got %v", c.TimeoutS)
	}
	from, to := 0, len(c.Hops)-1
	if c.Latency.From != "" {
		if from = slices.Index(c.Hops, c.Latency.From); from < 0 {
			return bad("latency.from", "%q is not one of the hops %v", c.Latency.From, c.Hops)
		}
	}
	if c.Latency.To != "" {
		if to = slices.Index(c.Hops, c.Latency.To); to < 0 {
			return bad("latency.to", "%q is not one of the hops %v", c.Latency.To, c.Hops)
		}
	}
	if from >= to {
		return bad("latency", "from %q must come before to %q on the path", c.Hops[from], c.Hops[to])
	}
	for i, s := range c.Latency.SlicesMs {
		if !(s > 0) || math.IsInf(s, 0) || (i > 0 && s <= c.Latency.SlicesMs[i-1]) {
			return bad("latency.slices_ms", "bounds must be positive and strictly ascending, got %v", c.Latency.SlicesMs)
		}
	}
	for h, off := range c.ClockOffsetUs {
		if !slices.Contains(c.Hops, h) {
			return bad("clock_offset_us", "%q is not one of the hops %v", h, c.Hops)
		}
		if math.IsNaN(off) || math.IsInf(off, 0) {
			return bad("clock_offset_us", "offset of %q is not a number", h)
		}
	}
	return nil
}

// Mask is the set of header fields left out of a signature (Mask* bits).
type Mask uint16

// Mask bits, one per name of config.MaskFields.
const (
	MaskTTL        Mask = 1 << iota // IPv4 TTL / IPv6 hop limit: always masked
	MaskIPChecksum                  // IPv4 header checksum: always masked
	MaskTOS                         // IPv4 TOS / IPv6 traffic class (DSCP and ECN)
	MaskIPID                        // IPv4 identification
	MaskIPOptions                   // IPv4 options bytes (the length stays signed)
	MaskFlowLabel                   // IPv6 flow label
	MaskSrcAddr                     // source address (NAT)
	MaskDstAddr                     // destination address (NAT)
	MaskSrcPort                     // TCP/UDP source port; ICMP echo identifier (PAT)
	MaskDstPort                     // TCP/UDP destination port; ICMP echo identifier
	MaskL4Checksum                  // TCP/UDP/ICMP checksum (changes with NATed fields)
)

var maskNames = []string{"ttl", "ip_checksum", "tos", "ip_id", "ip_options", "flow_label", "src_addr", "dst_addr", "src_port", "dst_port", "l4_checksum"}

// ParseMask returns the Mask of the names (config.MaskFields), with
// MaskTTL and MaskIPChecksum always set. An unknown name gives an error
// wrapping ErrConfig.
func ParseMask(names []string) (Mask, error) {
	m := MaskTTL | MaskIPChecksum
	for _, n := range names {
		i := slices.Index(maskNames, n)
		if i < 0 {
			return 0, fmt.Errorf("%w: oneway.mask: unknown field %q (known: %s)", ErrConfig, n, strings.Join(maskNames, ", "))
		}
		m |= 1 << i
	}
	return m, nil
}

// String lists the mask's names, comma separated.
func (m Mask) String() string {
	var b strings.Builder
	for i, n := range maskNames {
		if m&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(n)
		}
	}
	return b.String()
}

// HopIndex returns the index in hops of the capture point (probe, iface):
// the hop named "probe/iface" if there is one, else the hop named "probe",
// else -1.
func HopIndex(hops []string, probe, iface string) int {
	if iface != "" {
		if i := slices.Index(hops, probe+"/"+iface); i >= 0 {
			return i
		}
	}
	return slices.Index(hops, probe)
}

// pair is a hop pair of the outputs: positions in the class's hops (below
// MaxHops; the rows' from_hop_index and to_hop_index).
type pair struct{ from, to int }

// pairsOf returns the hop pairs that get delay, latency and loss rows:
// every consecutive pair in path order, then the end-to-end pair and the
// latency pair when they are not already listed.
func pairsOf(n, latFrom, latTo int) []pair {
	var ps []pair
	for i := 0; i+1 < n; i++ {
		ps = append(ps, pair{i, i + 1})
	}
	for _, p := range []pair{{0, n - 1}, {latFrom, latTo}} {
		if !slices.Contains(ps, p) {
			ps = append(ps, p)
		}
	}
	return ps
}
