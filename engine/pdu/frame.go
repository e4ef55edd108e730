package pdu

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// Version is the wire format version this package writes and accepts.
const Version = 1

// HeaderLen and TrailerLen are the fixed frame overheads in bytes.
const (
	HeaderLen  = 22
	TrailerLen = 4
)

// MaxPayload is the largest payload a frame can carry (16-bit length).
const MaxPayload = 0xffff

// Type is the PDU type: one PDU under construction per type and collector
// (design 3.14).
type Type uint8

// PDU types (design 3.14). Each PDU carries records of one type only.
const (
	TypeHello       Type = 1  // probe name, interface names: sent first
	TypeFlowDef     Type = 2  // flow instance descriptions
	TypeMetricDef   Type = 3  // metric names
	TypeCounters    Type = 4  // per-flow protocol counters of one interval
	TypeFlowUpdate  Type = 5  // per-flow running totals (packets, bytes, last seen)
	TypeEvents      Type = 6  // probe events
	TypeHeartbeat   Type = 7  // empty: the probe is alive
	TypeAck         Type = 8  // collector acknowledgement
	TypeTCPConn     Type = 9  // TCP connection records
	TypeFTPTransfer Type = 10 // FTP file transfer records
	TypeRTTSample   Type = 11 // round-trip samples
	TypePacketObs   Type = 12 // one-way per-packet observations (signatures)
	TypeHistograms  Type = 13 // histogram slice counts (IP sizes)
	TypeHistDef     Type = 14 // histogram slice definitions
	TypeFTPSession  Type = 15 // FTP session records
	TypeRTTHist     Type = 16 // round-trip histograms per interval
	typeLimit       Type = 17
	flagHMAC             = 1
	magic0, magic1       = 'T', 'M'
)

var typeNames = [typeLimit]string{"", "hello", "flow_def", "metric_def", "counters", "flow_update", "events", "heartbeat", "ack",
	"tcp_conn", "ftp_transfer", "rtt_sample", "packet_obs", "histograms", "hist_def", "ftp_session", "rtt_hist"}

// String names the type as in pdu_stats and events.
func (t Type) String() string {
	if t > 0 && t < typeLimit {
		return typeNames[t]
	}
	return fmt.Sprintf("type_%d", uint8(t))
}

// Errors of frame and record decoding.
var (
	ErrShort   = errors.New("pdu: frame or record too short")
	ErrCorrupt = errors.New("pdu: corrupt frame or record")
	ErrCRC     = errors.New("pdu: CRC-32C mismatch")
	ErrVersion = errors.New("pdu: unsupported version")
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Header is the decoded fixed part of a frame.
type Header struct {
	Type        Type
	Flags       uint8
	ProbeID     uint16
	ID          uint32 // PDU id, from 1
	BuildTimeNs int64  // probe clock when built, Unix ns
}

// AppendFrame appends a complete frame (header, payload, CRC) to dst.
// The payload must not exceed MaxPayload bytes.
func AppendFrame(dst []byte, h Header, payload []byte) []byte {
	start := len(dst)
	dst = append(dst, magic0, magic1, Version, byte(h.Type), h.Flags, 0)
	dst = binary.BigEndian.AppendUint16(dst, h.ProbeID)
	dst = binary.BigEndian.AppendUint32(dst, h.ID)
	dst = binary.BigEndian.AppendUint64(dst, uint64(h.BuildTimeNs))
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(payload)))
	dst = append(dst, payload...)
	return binary.BigEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// ParseFrame checks a frame's magic, version, length and CRC and returns its
// header and payload (borrowed from b).
func ParseFrame(b []byte) (Header, []byte, error) {
	var h Header
	if len(b) < HeaderLen+TrailerLen {
		return h, nil, ErrShort
	}
	if b[0] != magic0 || b[1] != magic1 {
		return h, nil, ErrCorrupt
	}
	if b[2] != Version {
		return h, nil, ErrVersion
	}
	n := int(binary.BigEndian.Uint16(b[20:]))
	if len(b) != HeaderLen+n+TrailerLen {
		return h, nil, ErrCorrupt
	}
	want := binary.BigEndian.Uint32(b[HeaderLen+n:])
	if crc32.Checksum(b[:HeaderLen+n], castagnoli) != want {
		return h, nil, ErrCRC
	}
	h.Type = Type(b[3])
	if h.Type == 0 || h.Type >= typeLimit {
		return h, nil, ErrCorrupt
	}
	h.Flags = b[4]
	h.ProbeID = binary.BigEndian.Uint16(b[6:])
	h.ID = binary.BigEndian.Uint32(b[8:])
	h.BuildTimeNs = int64(binary.BigEndian.Uint64(b[12:]))
	return h, b[HeaderLen : HeaderLen+n], nil
}

// AppendAck appends the acknowledgement of PDU id from probe to dst.
func AppendAck(dst []byte, probe uint16, id uint32) []byte {
	var p [8]byte
	binary.BigEndian.PutUint32(p[:], id)
	binary.BigEndian.PutUint32(p[4:], id)
	return AppendFrame(dst, Header{Type: TypeAck, ProbeID: probe, ID: id}, p[:])
}

// ParseAck returns the probe and PDU id an acknowledgement frame carries;
// it fails unless the frame is valid and both copies of the id agree.
func ParseAck(b []byte) (probe uint16, id uint32, err error) {
	h, p, err := ParseFrame(b)
	if err != nil {
		return 0, 0, err
	}
	if h.Type != TypeAck || len(p) != 8 {
		return 0, 0, ErrCorrupt
	}
	a, c := binary.BigEndian.Uint32(p), binary.BigEndian.Uint32(p[4:])
	if a != c || a != h.ID {
		return 0, 0, ErrCorrupt
	}
	return h.ProbeID, a, nil
}
