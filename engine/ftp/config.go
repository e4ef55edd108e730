package ftp

import (
	"errors"

	"github.com/tmonbench/tmonbench/engine/config"
)

// ErrConfig is wrapped by Config.Validate for a field out of range.
var ErrConfig = errors.New("ftp: invalid config")

// Config bounds a Tracker. Times are capture times in nanoseconds.
type Config struct {
	// MaxSessions bounds the FTP control connections followed at once.
	// A new session beyond it evicts the least recently active one, whose
	// rows are emitted at the next Expire or Flush (Stats.SessionsEvicted).
	// Default 4096.
	MaxSessions int
	// MaxExpected bounds the announced data channels (PASV, EPSV, PORT,
	// EPRT) held at once over all sessions, whether still waiting for
	// their data connection or carrying it. An announcement beyond it is
	// not learnt (Stats.ExpectRefused). Default 16384.
	MaxExpected int
	// ExpectTimeoutNs is how long an announced data channel waits for both
	// its data connection and its transfer command before it is forgotten
	// (Stats.ExpectExpired): vsftpd's accept_timeout and connect_timeout
	// are 60 s. Default 60 s.
	ExpectTimeoutNs int64
	// IdleTimeoutNs ends a session with no packet on its control or data
	// connections for this long, and a transfer still without a final
	// reply after this long without activity (reported incomplete).
	// Default 1 h: tcp_connections' idle timeout (tcpconn.Config), so that
	// both count the same control connections.
	IdleTimeoutNs int64
	// CloseDelayNs is how long a session whose control connection closed
	// (both FINs, a RST, or a FIN unanswered) stays after its last packet:
	// the last ACKs of the data connections still count as FTP, and a SYN
	// repeating the connection's (a duplicated capture section) joins it
	// rather than starting a session. Default 5 s: tcp_connections' close
	// delay (Zeek's tcp_close_delay).
	CloseDelayNs int64
	// HandshakeTimeoutNs ends a session one side of which never sent
	// anything after this long. Default 2 min: tcp_connections'.
	HandshakeTimeoutNs int64
	// LingerNs is how long a replied transfer stays after its last packet
	// before its row is emitted, so that the last ACKs of its data
	// connection still count. Default 2 s.
	LingerNs int64
}

// FromTable is a config file's ftp_table section as the tracker takes it.
func FromTable(t config.FTPTable) Config {
	return Config{MaxSessions: t.MaxSessions, MaxExpected: t.MaxExpected, ExpectTimeoutNs: config.SecondsNs(t.ExpectTimeoutS),
		IdleTimeoutNs: config.SecondsNs(t.IdleTimeoutS), CloseDelayNs: config.SecondsNs(t.CloseDelayS), HandshakeTimeoutNs: config.SecondsNs(t.HandshakeTimeoutS),
		LingerNs: config.SecondsNs(t.LingerS)}
}

// DefaultConfig returns the defaults documented on each Config field
// (ftp_table's defaults, config.DefaultFTPTable).
func DefaultConfig() Config { return FromTable(config.DefaultFTPTable()) }

// Validate reports the first field out of range, wrapping ErrConfig.
func (c Config) Validate() error {
	return config.Check(ErrConfig, config.AtLeast("MaxSessions", c.MaxSessions, 1), config.AtLeast("MaxExpected", c.MaxExpected, 1),
		config.AtLeast("ExpectTimeoutNs", c.ExpectTimeoutNs, 1), config.AtLeast("IdleTimeoutNs", c.IdleTimeoutNs, 1), config.AtLeast("LingerNs", c.LingerNs, 0),
		config.AtLeast("CloseDelayNs", c.CloseDelayNs, 0), config.AtLeast("HandshakeTimeoutNs", c.HandshakeTimeoutNs, 0))
}

// withDefaults replaces zero fields by their defaults.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	config.OrDefault(&c.MaxSessions, d.MaxSessions)
	config.OrDefault(&c.MaxExpected, d.MaxExpected)
	config.OrDefault(&c.ExpectTimeoutNs, d.ExpectTimeoutNs)
	config.OrDefault(&c.IdleTimeoutNs, d.IdleTimeoutNs)
	if c.LingerNs < 0 {
		c.LingerNs = d.LingerNs
	}
	config.OrDefault(&c.CloseDelayNs, d.CloseDelayNs)
	config.OrDefault(&c.HandshakeTimeoutNs, d.HandshakeTimeoutNs)
	return c
}

// Stats counts what a Tracker saw and decided. Counters only grow; the
// probe turns their deltas into events (design 3.13).
type Stats struct {
	Sessions        uint64 // control connections followed
	SessionsEvicted uint64 // removed early to respect MaxSessions
	Commands        uint64 // command lines parsed (client to server)
	Replies         uint64 // complete replies (a multi-line reply counts once)
	UnpairedReplies uint64 // final replies with no command waiting for them
	BadLines        uint64 // lines that are neither a command nor a reply
	LongLines       uint64 // lines cut at the maximum line length (2048 bytes)
	Retransmitted   uint64 // control segments repeating bytes already seen (wholly or partly)
	OutOfOrder      uint64 // control segments held until the bytes before them arrived
	Holes           uint64 // control stream gaps skipped (bytes never captured)
	Encrypted       uint64 // sessions that switched to TLS (AUTH + 234, RFC 4217)
	Announcements   uint64 // data channels learnt from 227, 229, PORT or EPRT
	BadAnnouncement uint64 // 227/229 replies or PORT/EPRT commands that did not parse
	AddrMismatch    uint64 // announced address differs from the control peer's (NAT)
	ExpectRefused   uint64 // announcements not learnt: MaxExpected reached
	ExpectExpired   uint64 // announcements forgotten without data connection or transfer
	DataConns       uint64 // data connections matched to an announcement
	EarlySYNs       uint64 // data connections started at a SYN captured before their announcement (early.go)
	// EarlySYNsDropped counts SYNs between FTP peers that matched no
	// channel, forgotten within their 2 s window to make room (8 are
	// kept): a data connection one of them opened, announced later,
	// starts at its SYN-ACK.
	EarlySYNsDropped uint64
	DataPackets      uint64 // packets of data connections (Data returned ok)
	UnboundData      uint64 // data connections no transfer command claimed
	Transfers        uint64 // ftp_transfers rows emitted
	TransfersLost    uint64 // transfers dropped: more than 256 unemitted in one session
	// ListenerReuses counts data connections to a passive listener taken
	// again by a transfer command without a new PASV or EPSV (RFC 959
	// §3.3, §4.1.1: the data port persists); also in DataConns.
	ListenerReuses uint64
	// ThirdParty counts data connections of third-party transfers (FXP,
	// RFC 959 §2.3): opened by the server given a PORT or EPRT naming
	// another followed server's passive listener, and measured for both
	// sessions' transfers; also in DataConns once.
	ThirdParty uint64
}
