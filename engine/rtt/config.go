package rtt

import (
	"errors"
	"fmt"
	"math"

	"github.com/tmonbench/tmonbench/engine/config"
)

// ErrConfig is wrapped by every error of Config.Validate.
var ErrConfig = errors.New("rtt: invalid config")

// Kind is one request/response protocol the tracker matches; its String
// is the value of rtt_samples.kind and rtt_histograms.kind.
type Kind uint8

// Kinds of round trips (design 3.11).
const (
	KindICMPEcho     Kind = iota // ICMP/ICMPv6 echo request -> reply (RFC 792, RFC 4443 §4.1-4.2)
	KindDNS                      // DNS query -> response over UDP or TCP port 53 (RFC 1035 §4.2)
	KindSNMP                     // SNMP v1/v2c request -> response on port 161/162 (RFC 1157, RFC 3416)
	KindNTP                      // NTP client mode 3 -> server mode 4 on port 123 (RFC 5905)
	KindTCPHandshake             // latest TCP SYN copy -> first SYN-ACK (RFC 9293 §3.5; Karn, RFC 6298 §3)
	KindTCPTS                    // TCP timestamp TSval -> first TSecr echo (RFC 7323 §4)
	NumKinds                     // number of kinds; not a kind
)

var kindNames = [NumKinds]string{
	KindICMPEcho:     "icmp_echo",
	KindDNS:          "dns",
	KindSNMP:         "snmp",
	KindNTP:          "ntp",
	KindTCPHandshake: "tcp_handshake",
	KindTCPTS:        "tcp_ts",
}

// String returns the kind's table value ("icmp_echo", "dns", "snmp",
// "ntp", "tcp_handshake", "tcp_ts"), or "unknown".
func (k Kind) String() string {
	if k < NumKinds {
		return kindNames[k]
	}
	return "unknown"
}

// ParseKind returns the Kind named s (a value of rtt_samples.kind).
func ParseKind(s string) (Kind, bool) {
	for k, n := range kindNames {
		if n == s {
			return Kind(k), true
		}
	}
	return 0, false
}

// Config sets the matching and histogram parameters of a Tracker. Zero
// fields take the DefaultConfig values in New.
type Config struct {
	// SlicesMs are the upper bounds in milliseconds, strictly ascending and
	// positive, of the RTT histogram slices (design 3.14). n bounds make
	// n+1 slices: [0,b0) [b0,b1) ... [b(n-1),inf). Default 2, 10, 50.
	SlicesMs []float64
	// TimeoutNs is the capture time after which an unanswered request is
	// reported by Expire (and an answered one forgotten). Default 10 s.
	TimeoutNs int64
	// MaxPending bounds the table of requests awaiting (or recently given)
	// a response, all kinds together. When it is full, the answered
	// requests are forgotten first (Stats.AnsweredForgotten); requests
	// beyond it then are dropped and counted in Stats.PendingFull.
	// Default 65536. It also bounds the SYNs
	// without the TSopt remembered until their handshake is over
	// (tsneg.go): two generations of MaxPending/2.
	MaxPending int
	// MaxConns bounds the TCP connections followed for tcp_ts and DNS over
	// TCP; beyond it new connections are not followed (Stats.ConnsFull).
	// Default 65536.
	MaxConns int
	// ConnIdleNs forgets a followed TCP connection after this much capture
	// time without a segment. Default 300 s.
	ConnIdleNs int64
	// MaxTSvals is the number of TSvals per direction of a TCP connection
	// that may await their echo (tcp_ts); a TSval seen while that many
	// wait is not timed (Stats.TSRingFull). At most 4096. Default 32.
	MaxTSvals int
	// MaxStreamBytes bounds the bytes held, over all connections, by the
	// DNS-over-TCP reassembly buffers (incomplete messages). Default 16 MiB.
	MaxStreamBytes int
	// MaxHistograms bounds the (flow, kind) histograms of one interval;
	// samples beyond it are not histogrammed (Stats.HistogramsFull).
	// Default 65536.
	MaxHistograms int
	// Kinds lists the kinds to match, by name (Kind.String); empty means
	// all kinds.
	Kinds []string
}

// DefaultConfig returns the defaults: slices <2, 2-10, 10-50, >50 ms
// (design 3.14), 10 s timeout, 65536 pending requests and connections,
// every kind enabled.
func DefaultConfig() Config {
	return Config{
		SlicesMs:       []float64{2, 10, 50},
		TimeoutNs:      10e9,
		MaxPending:     65536,
		MaxConns:       65536,
		ConnIdleNs:     300e9,
		MaxTSvals:      32,
		MaxStreamBytes: 16 << 20,
		MaxHistograms:  65536,
	}
}

// Validate checks c as given (zero fields are allowed: New fills them).
// Errors wrap ErrConfig and name the field.
func (c *Config) Validate() error {
	for i, b := range c.SlicesMs {
		if math.IsNaN(b) || math.IsInf(b, 0) || b <= 0 {
			return fmt.Errorf("%w: slices_ms[%d] = %g: must be positive and finite", ErrConfig, i, b)
		}
		if i > 0 && b <= c.SlicesMs[i-1] {
			return fmt.Errorf("%w: slices_ms[%d] = %g: must be above %g", ErrConfig, i, b, c.SlicesMs[i-1])
		}
	}
	if err := config.Check(ErrConfig, config.AtLeast("timeout_ns", c.TimeoutNs, 0), config.AtLeast("max_pending", c.MaxPending, 0),
		config.AtLeast("max_conns", c.MaxConns, 0), config.AtLeast("conn_idle_ns", c.ConnIdleNs, 0), config.Within("max_tsvals", c.MaxTSvals, 0, 4096),
		config.AtLeast("max_stream_bytes", c.MaxStreamBytes, 0), config.AtLeast("max_histograms", c.MaxHistograms, 0)); err != nil {
		return err
	}
	for i, s := range c.Kinds {
		if _, ok := ParseKind(s); !ok {
			return fmt.Errorf("%w: kinds[%d] = %q: not one of icmp_echo, dns, snmp, ntp, tcp_handshake, tcp_ts", ErrConfig, i, s)
		}
	}
	return nil
}

// withDefaults returns c with zero (or invalid) fields replaced by defaults.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if len(c.SlicesMs) == 0 || (&Config{SlicesMs: c.SlicesMs}).Validate() != nil {
		c.SlicesMs = d.SlicesMs
	}
	c.SlicesMs = append([]float64(nil), c.SlicesMs...)
	config.FillDefaults(&c, d)
	if c.MaxTSvals > 4096 {
		c.MaxTSvals = d.MaxTSvals
	}
	return c
}

// kindMask returns the enabled kinds as a bit set (bit k for Kind k).
func (c *Config) kindMask() uint8 {
	if len(c.Kinds) == 0 {
		return 1<<NumKinds - 1
	}
	var m uint8
	for _, s := range c.Kinds {
		if k, ok := ParseKind(s); ok {
			m |= 1 << k
		}
	}
	return m
}
