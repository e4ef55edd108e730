package probe

import (
	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/ftp"
	"github.com/tmonbench/tmonbench/engine/reasm"
	"github.com/tmonbench/tmonbench/engine/tcpconn"
)

// secondsNs converts a config time in seconds (validated: more than 0, at
// most a week) to ns.
func secondsNs(s float64) int64 { return int64(s * 1e9) }

// tcpConfig is the tcp_table section as the tracker takes it.
func tcpConfig(t config.TCPTable) tcpconn.Config {
	return tcpconn.Config{MaxConns: t.MaxConnections, IdleTimeoutNs: secondsNs(t.IdleTimeoutS), HandshakeTimeoutNs: secondsNs(t.HandshakeTimeoutS),
		CloseDelayNs: secondsNs(t.CloseDelayS), MaxPending: t.MaxPending}
}

// ftpConfig is the ftp_table section as the tracker takes it.
func ftpConfig(t config.FTPTable) ftp.Config {
	return ftp.Config{MaxSessions: t.MaxSessions, MaxExpected: t.MaxExpected, ExpectTimeoutNs: secondsNs(t.ExpectTimeoutS),
		IdleTimeoutNs: secondsNs(t.IdleTimeoutS), CloseDelayNs: secondsNs(t.CloseDelayS), HandshakeTimeoutNs: secondsNs(t.HandshakeTimeoutS),
		LingerNs: secondsNs(t.LingerS)}
}

// reasmConfig is the reassembly section as the reassembler takes it.
func reasmConfig(r config.Reassembly) reasm.Config {
	return reasm.Config{TimeoutNs: secondsNs(r.TimeoutS), MaxDatagrams: r.MaxDatagrams, MaxDatagramBytes: r.MaxDatagramBytes, MaxFragments: r.MaxFragments}
}
