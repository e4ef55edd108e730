package pdu

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// Version is the wire format version this package writes. Version 2
// added the probe epoch to the header (issue 13), version 3 FlagKept and
// the age bound (issue 13.3: a version 2 collector would count kept
// frames as garbage), version 4 the RunConfig PDU type (a version 3
// collector took it for garbage and never acknowledged it, so a new probe
// never finished there), version 5 the proto of an RTT sample that is not
// its kind's (a DNS sample over TCP: a version 4 collector took its kind
// byte for corruption), version 6 the class of the FTP records (a version
// 5 collector read the class string as the session id); frames of
// versions outside MinVersion..Version are refused and counted
// (ReceiverStats.OldVersion: "upgrade the probe").
const Version = 6

// MinVersion is the oldest version this package accepts: version 3 to 5
// frames (probes from before RunConfig, the RTT samples' proto or the FTP
// records' class, and the journals of collectors that received them) have
// version 6's layout and lack only RunConfig PDUs, the proto of DNS
// samples (such a sample does not say whether it went over UDP or TCP)
// and the class of FTP rows: Header.Version tells the decoders
// (rtt.DecodeSample, ftp.DecodeSession, ftp.DecodeTransfer).
const MinVersion = 3

// HeaderLen and TrailerLen are the fixed frame overheads in bytes; an
// authenticated frame (flag FlagHMAC) adds TagLen bytes of HMAC tag between
// payload and CRC.
const (
	HeaderLen  = 30
	TrailerLen = 4
	TagLen     = 16
)

// FlagHMAC is bit 0 of the header flags: a TagLen-byte truncated
// HMAC-SHA256 tag follows the payload (see Key). Other flag bits but
// FlagKept are reserved and must be 0.
const FlagHMAC uint8 = 1

// FlagKept is bit 1 of the header flags: the sender keeps retrying this
// PDU however old it gets (design 1.5: the PDU that exhausted its retries
// and the break-border PDUs of long retry mode), so a keyed collector does
// not refuse it for its age (Receiver.MaxAgeNs). The sender sets it, and
// re-tags the frame, when it decides to keep the PDU.
const FlagKept uint8 = 2

// MaxPayload is the largest payload a frame can carry (16-bit length).
const MaxPayload = 0xffff

// MaxFrameBytes is the largest frame a Sender builds: one UDP datagram
// over IPv4 (65,535 bytes less the 20-byte IP and 8-byte UDP headers, RFC
// 791 and RFC 768). A larger frame fails to send (EMSGSIZE) at every
// retry: a max_pdu_bytes above it would never be delivered over UDP.
const MaxFrameBytes = 65507

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
	TypeDropped     Type = 17 // one-way observations a probe gave up (design 4.3 "dropped")
	TypeReport      Type = 18 // a probe's account of its channel, last PDU of its run (pdu_stats)
	TypeRunConfig   Type = 19 // the configuration version a probe run is under: sent after hello
	typeLimit       Type = 20
	magic0, magic1       = 'T', 'M'
)

var typeNames = [typeLimit]string{"", "hello", "flow_def", "metric_def", "counters", "flow_update", "events", "heartbeat", "ack",
	"tcp_conn", "ftp_transfer", "rtt_sample", "packet_obs", "histograms", "hist_def", "ftp_session", "rtt_hist", "dropped", "report", "run_config"}

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
	// ErrAuth: an authenticated channel got a frame without a tag or with a
	// tag that does not match the probe's key.
	ErrAuth = errors.New("pdu: missing or bad HMAC tag")
	// ErrUnknownProbe: a collector got a frame from a probe it does not
	// accept (no key for it, or not among the probes of its config).
	ErrUnknownProbe = errors.New("pdu: unknown probe")
	// ErrClosedEpoch: the frame belongs to a run of its probe (an epoch)
	// that the collector has closed, or that is older than a run it
	// already saw: a replayed or very late frame.
	ErrClosedEpoch = errors.New("pdu: frame of a closed probe epoch")
	// ErrTooOld: a keyed collector got a frame built longer before the
	// newest frame of its probe run than the sender would still send it
	// (Receiver.MaxAgeNs): a replayed or withheld frame.
	ErrTooOld = errors.New("pdu: frame too old for its probe run")
	// ErrProbesFull: a collector open to any probe already follows
	// MaxProbes probes.
	ErrProbesFull = errors.New("pdu: too many probes")
	// ErrDuplicateRun: a frame of an older run (epoch) of a probe came
	// DuplicateRunNs or more after the probe's newer run began: two probe
	// processes send under one id (one name), and the older run is closed
	// (Receiver).
	ErrDuplicateRun = errors.New("pdu: an older run of the probe speaks after a newer one began: two probes under one name")
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Header is the decoded fixed part of a frame.
type Header struct {
	Type    Type
	Flags   uint8
	ProbeID uint16
	// Epoch identifies the probe's run: the probe's start time in Unix ns
	// (wall clock), greater than every earlier run's. PDU ids restart at 1
	// in each run, so the collector de-duplicates per (probe, epoch). In an
	// acknowledgement it is the epoch of the acknowledged PDU.
	Epoch       int64
	ID          uint32 // PDU id, from 1
	BuildTimeNs int64  // probe clock when built, Unix ns
	// Version is the wire format version of a frame ParseFrame accepted
	// from an older probe (MinVersion to Version-1), whose records lack
	// what later versions added; 0 for a frame of this Version.
	// AppendFrame ignores it: a frame is always written as Version.
	Version uint8
}

// AppendFrame appends a complete unauthenticated frame (header, payload,
// CRC) to dst; the FlagHMAC bit of h.Flags is cleared (Key.AppendFrame
// writes tagged frames). The payload must not exceed MaxPayload bytes.
func AppendFrame(dst []byte, h Header, payload []byte) []byte {
	h.Flags &^= FlagHMAC
	return appendFrame(dst, h, payload, nil)
}

// appendFrame writes the frame; with k non-nil it sets FlagHMAC and
// inserts the tag of header and payload before the CRC.
func appendFrame(dst []byte, h Header, payload []byte, k *Key) []byte {
	start := len(dst)
	if k != nil {
		h.Flags |= FlagHMAC
	}
	dst = append(dst, magic0, magic1, Version, byte(h.Type), h.Flags, 0)
	dst = binary.BigEndian.AppendUint16(dst, h.ProbeID)
	dst = binary.BigEndian.AppendUint64(dst, uint64(h.Epoch))
	dst = binary.BigEndian.AppendUint32(dst, h.ID)
	dst = binary.BigEndian.AppendUint64(dst, uint64(h.BuildTimeNs))
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(payload)))
	dst = append(dst, payload...)
	if k != nil {
		dst = k.appendTag(dst, dst[start:])
	}
	return binary.BigEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// ParseFrame checks a frame's magic, version, flags, length and CRC and
// returns its header and payload (borrowed from b). It does not check an
// HMAC tag (it has no key): Key.Verify does, and Receiver does when it has
// keys. Errors: ErrShort, ErrCorrupt, ErrVersion, ErrCRC.
func ParseFrame(b []byte) (Header, []byte, error) {
	var h Header
	if len(b) >= 3 && b[0] == magic0 && b[1] == magic1 && (b[2] < MinVersion || b[2] > Version) {
		return h, nil, ErrVersion // whatever its length: an old probe
	}
	if len(b) < HeaderLen+TrailerLen {
		return h, nil, ErrShort
	}
	if b[0] != magic0 || b[1] != magic1 {
		return h, nil, ErrCorrupt
	}
	if b[4]&^(FlagHMAC|FlagKept) != 0 || b[5] != 0 {
		return h, nil, ErrCorrupt
	}
	n := int(binary.BigEndian.Uint16(b[28:]))
	tag := 0
	if b[4]&FlagHMAC != 0 {
		tag = TagLen
	}
	if len(b) != HeaderLen+n+tag+TrailerLen {
		return h, nil, ErrCorrupt
	}
	want := binary.BigEndian.Uint32(b[HeaderLen+n+tag:])
	if crc32.Checksum(b[:HeaderLen+n+tag], castagnoli) != want {
		return h, nil, ErrCRC
	}
	h.Type = Type(b[3])
	if h.Type == 0 || h.Type >= typeLimit {
		return h, nil, ErrCorrupt
	}
	h.Flags = b[4]
	h.ProbeID = binary.BigEndian.Uint16(b[6:])
	h.Epoch = int64(binary.BigEndian.Uint64(b[8:]))
	h.ID = binary.BigEndian.Uint32(b[16:])
	h.BuildTimeNs = int64(binary.BigEndian.Uint64(b[20:]))
	if b[2] != Version {
		h.Version = b[2]
	}
	return h, b[HeaderLen : HeaderLen+n], nil
}

// AppendAck appends the unauthenticated acknowledgement of PDU id of the
// probe's run epoch to dst: a TypeAck frame whose 8-byte payload is id
// twice, big endian (design 3.14). Key.AppendAck writes the tagged form.
func AppendAck(dst []byte, probe uint16, epoch int64, id uint32) []byte {
	return appendAck(dst, probe, epoch, id, 0, nil)
}

// appendAck writes an ack whose header build-time field carries the
// collector's epoch (0: none; see Receiver.SetEpoch).
func appendAck(dst []byte, probe uint16, epoch int64, id uint32, collEpoch int64, k *Key) []byte {
	var p [8]byte
	binary.BigEndian.PutUint32(p[:], id)
	binary.BigEndian.PutUint32(p[4:], id)
	return appendFrame(dst, Header{Type: TypeAck, ProbeID: probe, Epoch: epoch, ID: id, BuildTimeNs: collEpoch}, p[:], k)
}

// AckEpoch returns the collector epoch an acknowledgement carries in its
// header's build-time field (0 when the collector sets none). A probe that
// sees the epoch change knows the collector restarted and lost its state,
// and re-sends its definitions (design 3.2, 4). It does not validate the
// frame: call it on acks ParseAck accepted.
func AckEpoch(ack []byte) int64 {
	if len(ack) < HeaderLen {
		return 0
	}
	return int64(binary.BigEndian.Uint64(ack[20:28]))
}

// ParseAck returns the probe, probe epoch and PDU id an acknowledgement
// frame carries; it fails (ErrShort, ErrCorrupt, ErrVersion, ErrCRC)
// unless the frame is valid and both copies of the id agree with the
// header's. It does not check a tag: Key.Verify does.
func ParseAck(b []byte) (probe uint16, epoch int64, id uint32, err error) {
	h, p, err := ParseFrame(b)
	if err != nil {
		return 0, 0, 0, err
	}
	if h.Type != TypeAck || len(p) != 8 {
		return 0, 0, 0, ErrCorrupt
	}
	a, c := binary.BigEndian.Uint32(p), binary.BigEndian.Uint32(p[4:])
	if a != c || a != h.ID {
		return 0, 0, 0, ErrCorrupt
	}
	return h.ProbeID, h.Epoch, a, nil
}
