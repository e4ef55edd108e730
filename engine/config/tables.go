package config

import (
	"fmt"
	"math"
	"reflect"
)

// TCPTable holds the TCP connection follow-on's limits and timers
// (engine/tcpconn.Config, whose doc comments give the reasons for each
// default), per class with the tcp analysis. Times in seconds of capture
// time, more than 0 and at most a week (604800).
type TCPTable struct {
	// MaxConnections is the most connections followed at once; a new one
	// evicts the least recently active (tcp_connections_evicted).
	// 1 to 16777216; 0 or absent: 65536.
	MaxConnections int `yaml:"max_connections"`
	// IdleTimeoutS ends a connection silent this long. 0 or absent: 3600
	// (Zeek's tcp_inactivity_timeout is 300: an FTP control connection
	// idle during a long transfer stays one row here).
	IdleTimeoutS float64 `yaml:"idle_timeout_s"`
	// HandshakeTimeoutS ends a connection one side of which never sent
	// anything (S0). 0 or absent: 120, longer than Linux's SYN retries.
	HandshakeTimeoutS float64 `yaml:"handshake_timeout_s"`
	// CloseDelayS keeps a closed connection this long after its last
	// packet (Zeek's tcp_close_delay). 0 or absent: 5.
	CloseDelayS float64 `yaml:"close_delay_s"`
	// MaxPending bounds the rows finished between two drains (port reuse,
	// eviction); more are dropped and counted (tcp_rows_dropped).
	// 1 to 16777216; 0 or absent: 4096.
	MaxPending int `yaml:"max_pending"`
}

// FTPTable holds the FTP follow-on's limits and timers (engine/ftp.Config),
// per class with the ftp analysis. Times in seconds of capture time,
// more than 0 and at most a week (604800).
type FTPTable struct {
	// MaxSessions is the most control connections followed at once; a new
	// one evicts the least recently active (ftp_sessions_evicted).
	// 1 to 16777216; 0 or absent: 4096.
	MaxSessions int `yaml:"max_sessions"`
	// MaxExpected bounds the announced data channels (PASV, EPSV, PORT,
	// EPRT) held at once; more are refused (ftp_announcements_refused).
	// 1 to 16777216; 0 or absent: 16384.
	MaxExpected int `yaml:"max_expected"`
	// ExpectTimeoutS forgets an announced data channel not used this long
	// (vsftpd's accept_timeout and connect_timeout). 0 or absent: 60.
	ExpectTimeoutS float64 `yaml:"expect_timeout_s"`
	// IdleTimeoutS ends a session silent this long. 0 or absent: 3600
	// (tcp_table's).
	IdleTimeoutS float64 `yaml:"idle_timeout_s"`
	// CloseDelayS keeps a closed session this long. 0 or absent: 5.
	CloseDelayS float64 `yaml:"close_delay_s"`
	// HandshakeTimeoutS ends a session one side of which never sent
	// anything. 0 or absent: 120.
	HandshakeTimeoutS float64 `yaml:"handshake_timeout_s"`
	// LingerS keeps a replied transfer this long after its last packet,
	// so its data connection's last ACKs count. 0 or absent: 2.
	LingerS float64 `yaml:"linger_s"`
}

// Reassembly holds the IP fragment reassembly's limits
// (engine/reasm.Config).
type Reassembly struct {
	// TimeoutS is the life of an IPv4 reassembly context from its first
	// fragment, in seconds of capture time (Linux ipfrag_time). 0 or
	// absent: 30.
	TimeoutS float64 `yaml:"timeout_s"`
	// IPv6TimeoutS is the same for IPv6: RFC 8200 §4.5 gives up a
	// reassembly 60 seconds after its first fragment (Linux ip6frag_time,
	// IPV6_FRAG_TIMEOUT). 0 or absent: 60.
	IPv6TimeoutS float64 `yaml:"ipv6_timeout_s"`
	// MaxDatagrams bounds the datagrams in reassembly at once; a new one
	// evicts the oldest. 1 to 16777216; 0 or absent: 1024.
	MaxDatagrams int `yaml:"max_datagrams"`
	// MaxDatagramBytes caps a reassembled datagram, header included:
	// 576 to 65575 (65535 + the 40-byte IPv6 header); 0 or absent: 65575.
	MaxDatagramBytes int `yaml:"max_datagram_bytes"`
	// MaxFragments bounds the fragments of one datagram (FreeBSD's
	// maxfragsperpacket): 1 to 8192; 0 or absent: 256.
	MaxFragments int `yaml:"max_fragments"`
}

// DefaultIntervalS is interval_s when a file sets it to 0 or leaves it out.
const DefaultIntervalS = 60

// DefaultClockJumpS is clock_jump_s when a file sets it to 0 or leaves it
// out: 10 minutes, beyond any retransmission or keepalive timer of a live
// connection (issue 15.6).
const DefaultClockJumpS = 600

// maxClockJumpS is clock_jump_s's largest value: ten years.
const maxClockJumpS = 10 * 365 * 86400

// ClockJumpNs returns clock_jump_s in ns (DefaultClockJumpS before the
// defaults are applied).
func (c *Config) ClockJumpNs() int64 {
	s := c.ClockJumpS
	if s == 0 {
		s = DefaultClockJumpS
	}
	return int64(s * 1e9)
}

// SetIntervalS sets interval_s as a command line's --interval gives it,
// over the file's: 0 is DefaultIntervalS, as interval_s: 0 in a file. A
// value outside 1 to 86400 seconds (NaN too) is refused and the
// configuration left as it was.
func (c *Config) SetIntervalS(s float64) error {
	if s == 0 {
		s = DefaultIntervalS
	}
	if !(s >= 1 && s <= 86400) {
		return fmt.Errorf("must be between 1 and 86400 seconds of capture time (0: %d)", DefaultIntervalS)
	}
	if s != math.Trunc(s) {
		return fmt.Errorf("must be a whole number of seconds: %s", fractionWhy)
	}
	c.IntervalS = s
	return nil
}

// fractionWhy is why interval_s and --interval take whole seconds.
const fractionWhy = "intervals start on whole multiples of the interval since the epoch and tile the minute for the 1-minute rollups (design 5.1: counters at 1 minute granularity or below)"

// IntervalWarning says what the rollups do with this configuration's
// interval_s (or --interval, which sets it) when its intervals do not tile
// the minute: below 60 s, one that does not divide 60 (7 s: intervals
// straddle minutes); above, one that is not a whole number of minutes
// (90 s). "" when they tile (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, or
// a multiple of 60). The rollups (queries/rollup) count a raw row whole in
// the bucket where it starts and report such rows as misaligned.
func (c *Config) IntervalWarning() string {
	s := int64(c.IntervalS)
	if s <= 0 || float64(s) != c.IntervalS {
		return ""
	}
	switch {
	case s < 60 && 60%s != 0:
		return fmt.Sprintf("interval %d s (interval_s or --interval) does not divide a minute: intervals straddle minute boundaries, "+
			"and the 1-minute rollups (tmonbench rollup, queries on 1-minute buckets) count each interval whole in the minute where it starts, "+
			"so per-minute figures are uneven (rollup reports such rows as misaligned); a divisor of 60 (10, 15, 20, 30...) tiles the minute", s)
	case s > 60 && s%60 != 0:
		level := "1-hour"
		if s > 3600 {
			level = "1-day"
		}
		return fmt.Sprintf("interval %d s (interval_s or --interval) is not a whole number of minutes: intervals straddle minute boundaries; "+
			"the rollups skip the 1-minute level for rows longer than a minute and count each interval whole in the %s bucket where it starts "+
			"(rollup reports rows that do not divide it as misaligned); a multiple of 60 keeps minutes whole", s, level)
	}
	return ""
}

// DefaultMaxFlows is flow_table.max_flows when a file sets it to 0 or
// leaves it out.
const DefaultMaxFlows = 1 << 20

// MaxMaxFlows is flow_table.max_flows's largest value: 2^26 flows, at
// flowBytes a flow ~19 GiB of probe memory (docs/memory.md). A larger
// table (a trial's 100000000000: ~27 TiB) could only end in the kernel's
// out-of-memory killer once the traffic fills it.
const MaxMaxFlows = 1 << 26

// flowBytes is a flow's memory in the probe: flow, map slot, lists
// (docs/memory.md's budget).
const flowBytes = 300

// sizeText says a byte count in the largest binary unit under it (MiB,
// GiB, TiB), to one decimal.
func sizeText(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	i := 0
	for ; b >= 1024 && i < len(units)-1; i++ {
		b /= 1024
	}
	return fmt.Sprintf("%.1f %s", b, units[i])
}

// Defaults of the analysers' tables, applied to every field a file leaves
// out or sets to 0 (each field's doc and range error say so): the engines' DefaultConfig are these, in nanoseconds
// (engine/tcpconn, engine/ftp and engine/reasm FromTable), so each default
// is written once.

// DefaultTCPTable returns tcp_table's defaults.
func DefaultTCPTable() TCPTable {
	return TCPTable{MaxConnections: 65536, IdleTimeoutS: 3600, HandshakeTimeoutS: 120, CloseDelayS: 5, MaxPending: 4096}
}

// DefaultFTPTable returns ftp_table's defaults.
func DefaultFTPTable() FTPTable {
	return FTPTable{MaxSessions: 4096, MaxExpected: 16384, ExpectTimeoutS: 60, IdleTimeoutS: 3600, CloseDelayS: 5, HandshakeTimeoutS: 120, LingerS: 2}
}

// DefaultReassembly returns reassembly's defaults.
func DefaultReassembly() Reassembly {
	return Reassembly{TimeoutS: 30, IPv6TimeoutS: 60, MaxDatagrams: 1024, MaxDatagramBytes: 65535 + 40, MaxFragments: 256}
}

// SecondsNs converts a config time in seconds (validated: more than 0, at
// most a week) to the nanoseconds the engines take.
func SecondsNs(s float64) int64 { return int64(s * 1e9) }

// maxTableTimeS bounds the tables' times: a week of capture time.
const maxTableTimeS = 7 * 86400

// validateTables checks the ranges of tcp_table, ftp_table and reassembly.
func (c *Config) validateTables() error {
	type intField struct {
		name     string
		v, def   int
		min, max int
	}
	type timeField struct {
		name   string
		v, def float64
	}
	t, f, r := DefaultTCPTable(), DefaultFTPTable(), DefaultReassembly()
	ints := []intField{
		{"tcp_table.max_connections", c.TCPTable.MaxConnections, t.MaxConnections, 1, 1 << 24},
		{"tcp_table.max_pending", c.TCPTable.MaxPending, t.MaxPending, 1, 1 << 24},
		{"ftp_table.max_sessions", c.FTPTable.MaxSessions, f.MaxSessions, 1, 1 << 24},
		{"ftp_table.max_expected", c.FTPTable.MaxExpected, f.MaxExpected, 1, 1 << 24},
		{"reassembly.max_datagrams", c.Reassembly.MaxDatagrams, r.MaxDatagrams, 1, 1 << 24},
		{"reassembly.max_datagram_bytes", c.Reassembly.MaxDatagramBytes, r.MaxDatagramBytes, 576, 65535 + 40},
		{"reassembly.max_fragments", c.Reassembly.MaxFragments, r.MaxFragments, 1, 8192},
	}
	for _, f := range ints {
		if f.v < f.min || f.v > f.max {
			return &Error{File: c.file, Line: c.lineOf(f.name, ""), Field: f.name, Msg: fmt.Sprintf("must be between %d and %d (0 or absent: %d), got %d", f.min, f.max, f.def, f.v)}
		}
	}
	times := []timeField{
		{"tcp_table.idle_timeout_s", c.TCPTable.IdleTimeoutS, t.IdleTimeoutS}, {"tcp_table.handshake_timeout_s", c.TCPTable.HandshakeTimeoutS, t.HandshakeTimeoutS},
		{"tcp_table.close_delay_s", c.TCPTable.CloseDelayS, t.CloseDelayS},
		{"ftp_table.expect_timeout_s", c.FTPTable.ExpectTimeoutS, f.ExpectTimeoutS}, {"ftp_table.idle_timeout_s", c.FTPTable.IdleTimeoutS, f.IdleTimeoutS},
		{"ftp_table.close_delay_s", c.FTPTable.CloseDelayS, f.CloseDelayS}, {"ftp_table.handshake_timeout_s", c.FTPTable.HandshakeTimeoutS, f.HandshakeTimeoutS},
		{"ftp_table.linger_s", c.FTPTable.LingerS, f.LingerS},
		{"reassembly.timeout_s", c.Reassembly.TimeoutS, r.TimeoutS},
		{"reassembly.ipv6_timeout_s", c.Reassembly.IPv6TimeoutS, r.IPv6TimeoutS},
	}
	for _, f := range times {
		if !(f.v > 0 && f.v <= maxTableTimeS) { // also rejects NaN
			return &Error{File: c.file, Line: c.lineOf(f.name, ""), Field: f.name, Msg: fmt.Sprintf("must be more than 0 and at most %d seconds (0 or absent: %g), got %g", maxTableTimeS, f.def, f.v)}
		}
	}
	return nil
}

// FillDefaults sets every number field of *cfg that is zero or negative
// to def's: OrDefault over a whole Config, for the engines whose every
// size, count and duration has a default.
func FillDefaults[T any](cfg *T, def T) { fill(cfg, def, true) }

// fill sets the number fields of *dst that are zero (or, with negative,
// negative as well) to def's; other fields are left alone.
func fill[T any](dst *T, def T, negative bool) {
	d, s := reflect.ValueOf(dst).Elem(), reflect.ValueOf(def)
	for i := range d.NumField() {
		f := d.Field(i)
		var unset bool
		switch {
		case !f.CanSet():
		case f.CanInt():
			unset = f.Int() == 0 || negative && f.Int() < 0
		case f.CanUint():
			unset = f.Uint() == 0
		case f.CanFloat():
			unset = f.Float() == 0 || negative && f.Float() < 0
		}
		if unset {
			f.Set(s.Field(i))
		}
	}
}

// Bound is the range Check allows one field of an engine's Config.
type Bound struct {
	Name     string // the field, as the error names it
	Value    int64
	Min, Max int64 // Max 0: no upper limit
}

// AtLeast is the bound v >= min of the field name.
func AtLeast[T ~int | ~int64](name string, v T, min int64) Bound {
	return Bound{Name: name, Value: int64(v), Min: min}
}

// Within is the bound min <= v <= max of the field name.
func Within[T ~int | ~int64](name string, v T, min, max int64) Bound {
	return Bound{Name: name, Value: int64(v), Min: min, Max: max}
}

// Check returns an error wrapping err that names the first field out of
// its bound, nil when every field is within: the engines' Validate.
func Check(err error, fields ...Bound) error {
	for _, f := range fields {
		switch {
		case f.Max == 0 && f.Value < f.Min:
			return fmt.Errorf("%w: %s %d must be >= %d", err, f.Name, f.Value, f.Min)
		case f.Max != 0 && (f.Value < f.Min || f.Value > f.Max):
			return fmt.Errorf("%w: %s %d must be in [%d, %d]", err, f.Name, f.Value, f.Min, f.Max)
		}
	}
	return nil
}

// number is the field types OrDefault takes.
type number interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

// OrDefault sets *v to def when *v is zero or negative: how the
// analysers' and the capture's configs give an unset (or invalid) size,
// count or duration its default.
func OrDefault[T number](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}
