package ftp

import (
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// Enum tables of the codec: a value in its table is written as one byte
// (index+1); any other value as a 0 byte and the string.
var (
	commandCodes   = []string{"", "RETR", "STOR", "APPE", "STOU", "LIST", "NLST", "MLSD"}
	directionCodes = []string{"", DirServerToClient, DirClientToServer}
	modeCodes      = []string{"", ModePassive, ModeActive}
	modeCmdCodes   = []string{"", "PASV", "EPSV", "PORT", "EPRT"}
	statusCodes    = []string{"", StatusComplete, StatusAborted, StatusFailed, StatusIncomplete, StatusDataNotCaptured}
)

func appendEnum(e *pdu.Enc, s string, table []string) {
	for i, v := range table {
		if v == s {
			e.Byte(byte(i + 1))
			return
		}
	}
	e.Byte(0)
	e.String(s)
}

func decodeEnum(d *pdu.Dec, table []string) string {
	b := d.Byte()
	if b == 0 {
		return d.String()
	}
	if int(b) <= len(table) {
		return table[b-1]
	}
	return "" // garbage: Dec keeps no error for it, the values are meaningless anyway
}

// ClassVersion is the first PDU wire version (pdu.Version 6) whose FTP
// records carry the row's class: a record of an older frame (pdu.Dec.Version
// 3 to 5) starts at the session ID, and decodes with class "".
const ClassVersion = 6

// hasClass reports whether the records d reads carry the class (ClassVersion).
func hasClass(d *pdu.Dec) bool { return d.Version == 0 || d.Version >= ClassVersion }

// AppendTransfer encodes one ftp_transfers row for the probe-to-collector
// PDU: class (the name, as tcpconn.AppendConn writes it), session ID, enums as one byte, the data connection's addresses as
// 5 or 17 bytes, start time as a zig-zag varint and end time as a delta
// from it, duration and throughput as float64. Probe is not encoded: the
// collector fills it.
func AppendTransfer(e *pdu.Enc, r *observe.FTPTransfer) {
	e.String(r.Class)
	e.ID(pdu.IDSession, r.SessionID)
	appendEnum(e, r.Command, commandCodes)
	e.String(r.FileName)
	appendEnum(e, r.Direction, directionCodes)
	appendEnum(e, r.DataMode, modeCodes)
	appendEnum(e, r.ModeCommand, modeCmdCodes)
	e.AddrPort(r.DataSrcAddr, r.DataSrcPort)
	e.AddrPort(r.DataDstAddr, r.DataDstPort)
	e.Times(r.StartTime, r.EndTime)
	e.Float(r.DurationS)
	e.Uvarint(r.Bytes)
	e.Float(r.ThroughputMbps)
	e.Uvarint(uint64(r.ReplyCode))
	appendEnum(e, r.Status, statusCodes)
}

// DecodeTransfer decodes a row written by AppendTransfer into r (Probe is
// left as is), as the wire version of d (pdu.Dec.Version) wrote it: the
// class of a frame older than ClassVersion is "". Errors (short or corrupt
// input) are sticky in d: check d.Err(). It never panics; garbage input
// gives garbage values.
func DecodeTransfer(d *pdu.Dec, r *observe.FTPTransfer) {
	r.Class = ""
	if hasClass(d) {
		r.Class = d.String()
	}
	r.SessionID = d.Uvarint()
	r.Command = decodeEnum(d, commandCodes)
	r.FileName = d.String()
	r.Direction = decodeEnum(d, directionCodes)
	r.DataMode = decodeEnum(d, modeCodes)
	r.ModeCommand = decodeEnum(d, modeCmdCodes)
	r.DataSrcAddr, r.DataSrcPort = d.AddrPort()
	r.DataDstAddr, r.DataDstPort = d.AddrPort()
	r.StartTime, r.EndTime = d.Times()
	r.DurationS = d.Float()
	r.Bytes = d.Uvarint()
	r.ThroughputMbps = d.Float()
	r.ReplyCode = d.Uint16()
	r.Status = decodeEnum(d, statusCodes)
}

// Session flag bits in the encoded row.
const (
	flagLoggedIn = 1 << iota
	flagSawStart
)

// AppendSession encodes one ftp_sessions row (Probe is not encoded): the
// class first (as AppendTransfer), the end time as a delta from the start time, addresses as 5 or 17 bytes.
func AppendSession(e *pdu.Enc, r *observe.FTPSession) {
	e.String(r.Class)
	e.ID(pdu.IDSession, r.SessionID)
	e.AddrPort(r.ClientAddr, r.ClientPort)
	e.AddrPort(r.ServerAddr, r.ServerPort)
	e.Times(r.StartTime, r.EndTime)
	e.Float(r.DurationS)
	e.String(r.User)
	var f byte
	if r.LoggedIn {
		f |= flagLoggedIn
	}
	if r.SawStart {
		f |= flagSawStart
	}
	e.Byte(f)
	e.Uvarints(r.Commands, r.Transfers, r.BytesDown, r.BytesUp)
	e.Uvarint(uint64(r.LastReply))
}

// DecodeSession decodes a row written by AppendSession into r (Probe is
// left as is), as the wire version of d wrote it (DecodeTransfer). Errors
// are sticky in d; it never panics.
func DecodeSession(d *pdu.Dec, r *observe.FTPSession) {
	r.Class = ""
	if hasClass(d) {
		r.Class = d.String()
	}
	r.SessionID = d.Uvarint()
	r.ClientAddr, r.ClientPort = d.AddrPort()
	r.ServerAddr, r.ServerPort = d.AddrPort()
	r.StartTime, r.EndTime = d.Times()
	r.DurationS = d.Float()
	r.User = d.String()
	f := d.Byte()
	r.LoggedIn = f&flagLoggedIn != 0
	r.SawStart = f&flagSawStart != 0
	d.Uvarints(&r.Commands, &r.Transfers, &r.BytesDown, &r.BytesUp)
	r.LastReply = d.Uint16()
}
