package replay

import (
	"errors"
	"io"
	"io/fs"
	"strconv"
	"strings"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// Sentinel errors. Every error Open, NewReader and File.Next return about a
// capture is an *Error whose Err is one of these, pkt.ErrTruncated,
// pkt.ErrMalformed, or an operating-system error (errors.Is(err,
// fs.ErrNotExist) works for a missing file).
var (
	// ErrNotCapture means the input starts with neither a pcap magic
	// (0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34, either byte order), a pcapng Section Header
	// Block, nor a gzip stream holding one of them.
	ErrNotCapture = errors.New("replay: not a pcap or pcapng file")
	// ErrUnsupportedVersion means a pcap header with a major version other
	// than 2 (or a minor above 4), or a pcapng section with a major version
	// other than 1.
	ErrUnsupportedVersion = errors.New("replay: unsupported capture file version")
	// ErrUnsupportedLinkType means the link type of a classic pcap file, or
	// of every pcapng interface described before the first packet, is one
	// pkt.LinkType.Supported rejects.
	ErrUnsupportedLinkType = errors.New("replay: unsupported link type")
	// ErrBadSpeed means ParseSpeed got something other than "full",
	// "realtime" or "<factor>x" with a finite factor > 0.
	ErrBadSpeed = errors.New("replay: bad speed")
)

// Error describes a capture that cannot be opened or read further. It names
// the file and, for damage found while reading, the record at fault:
//
//	replay: a.pcap: frame 26 at byte 8877: record header cut short (2 of 16 bytes): capture truncated
//
// errors.Is(err, pkt.ErrTruncated) (or ErrNotCapture, ...) tests the cause.
type Error struct {
	// Path is the file name given to Open, or the name given to NewReader.
	Path string
	// Frame is the 1-based number the packet record at fault would have
	// had (the last good packet is Frame-1); 0 when the error is about the
	// file header or the file as a whole.
	Frame uint64
	// Offset is the byte offset, in the uncompressed capture stream, of the
	// header, record or block at fault; -1 when not applicable.
	Offset int64
	// Detail says what was wrong, in words ("record header cut short").
	Detail string
	// Err is the cause: a sentinel of this package, pkt.ErrTruncated,
	// pkt.ErrMalformed, or an I/O error.
	Err error
}

// Error formats "replay: PATH: [frame N ][at byte O: ]DETAIL: CAUSE".
func (e *Error) Error() string { return "replay: " + e.Message() }

// Message is Error without the package's prefix, "PATH: [frame N ][at
// byte O: ]DETAIL: CAUSE": what a person reads of the damage, such as
// the capture_damaged event's message (pkt.Message), as the other events
// of a capture file begin with its path.
func (e *Error) Message() string {
	var b strings.Builder
	b.WriteString(e.Path)
	b.WriteString(": ")
	if e.Frame > 0 {
		b.WriteString("frame ")
		b.WriteString(strconv.FormatUint(e.Frame, 10))
		b.WriteByte(' ')
	}
	if e.Offset >= 0 && (e.Frame > 0 || e.Offset > 0) {
		b.WriteString("at byte ")
		b.WriteString(strconv.FormatInt(e.Offset, 10))
		b.WriteString(": ")
	} else if e.Frame > 0 {
		b.WriteString(": ")
	}
	if e.Detail != "" {
		b.WriteString(e.Detail)
		b.WriteString(": ")
	}
	msg := "unknown error"
	if e.Err != nil {
		msg = e.Err.Error()
		msg = strings.TrimPrefix(msg, "replay: ")
		msg = strings.TrimPrefix(msg, "pkt: ")
	}
	b.WriteString(msg)
	return b.String()
}

// Unwrap returns the cause, for errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// cause classifies a read error met inside a header, record or block:
// the end of input (plain or gzip) is truncation, an operating-system error
// is kept as is, anything else (a corrupt gzip stream) is malformed input,
// with err's text as the detail.
func cause(err error) (detail string, kind error) {
	if err == nil || err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return "", pkt.ErrTruncated
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return "", err
	}
	return err.Error(), pkt.ErrMalformed
}
