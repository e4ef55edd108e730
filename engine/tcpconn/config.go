package tcpconn

import (
	"errors"

	"github.com/tmonbench/tmonbench/engine/config"
)

// ErrConfig is wrapped by every error Config.Validate returns.
var ErrConfig = errors.New("tcpconn: invalid config")

// Config bounds the connection table and sets the capture-time timeouts
// after which a connection is reported (design 3.11; timeouts after Zeek's
// tcp_close_delay, tcp_reset_delay, tcp_SYN_timeout and
// tcp_inactivity_timeout, see doc.go). All durations are nanoseconds of
// capture time.
type Config struct {
	// MaxConns is the number of connections followed at once. When the
	// table is full, a new connection evicts the least recently active one
	// (closing connections first, then half-open ones, then established
	// ones), which is reported early and counted in Stats.Evicted.
	MaxConns int
	// IdleTimeoutNs reports a connection whose both sides have sent
	// something and which stayed silent this long. Default 1 h: much longer
	// than Zeek's 5 min tcp_inactivity_timeout, so that an FTP control
	// connection idle during a long transfer stays one row.
	IdleTimeoutNs int64
	// HandshakeTimeoutNs reports a connection of which one side never sent
	// anything (S0 attempts, one-way captures) after this much silence.
	// Default 2 min: longer than Linux's SYN retry sequence (1+2+4+8+16+32 s)
	// so that SYN retransmissions stay in one S0 row.
	HandshakeTimeoutNs int64
	// CloseDelayNs keeps a connection that saw FIN from both sides, a RST,
	// or a FIN from a side whose peer never answered, this long after its
	// last packet so the final ACK and retransmitted FINs land in the same
	// row. Default 5 s (Zeek's tcp_close_delay and tcp_reset_delay).
	CloseDelayNs int64
	// MaxPending bounds the rows finished inside Packet (port reuse,
	// eviction) that wait for the next Expire or Flush call; rows beyond it
	// are dropped and counted in Stats.Dropped. Default 4096.
	MaxPending int
}

// FromTable is a config file's tcp_table section as the tracker takes it.
func FromTable(t config.TCPTable) Config {
	return Config{MaxConns: t.MaxConnections, IdleTimeoutNs: config.SecondsNs(t.IdleTimeoutS), HandshakeTimeoutNs: config.SecondsNs(t.HandshakeTimeoutS),
		CloseDelayNs: config.SecondsNs(t.CloseDelayS), MaxPending: t.MaxPending}
}

// DefaultConfig returns the defaults documented on Config: 65536
// connections, 1 h idle, 2 min handshake, 5 s close delay, 4096 pending
// rows (tcp_table's defaults, config.DefaultTCPTable).
func DefaultConfig() Config { return FromTable(config.DefaultTCPTable()) }

// Validate reports the first out-of-range field as an error wrapping
// ErrConfig.
func (c Config) Validate() error {
	return config.Check(ErrConfig, config.AtLeast("MaxConns", c.MaxConns, 1), config.AtLeast("IdleTimeoutNs", c.IdleTimeoutNs, 1),
		config.AtLeast("HandshakeTimeoutNs", c.HandshakeTimeoutNs, 1), config.AtLeast("CloseDelayNs", c.CloseDelayNs, 1), config.AtLeast("MaxPending", c.MaxPending, 1))
}
