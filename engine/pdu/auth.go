package pdu

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"hash"
)

// ErrKey: an empty shared key was configured.
var ErrKey = errors.New("pdu: empty HMAC key")

// Key authenticates frames between one probe and its collectors with a
// shared secret from the config (issue item 4).
//
// The tag is HMAC-SHA256 (RFC 2104, FIPS 180-4) computed over the frame's
// header, with FlagHMAC set, and its payload, truncated to its leftmost
// TagLen (16) bytes: RFC 2104 §5 allows keeping the leftmost half or more of
// the output, and RFC 4868 §2.6 uses exactly this 128-bit truncation
// (HMAC-SHA-256-128) for IPsec. The tag sits between payload and CRC; the
// CRC-32C covers the tag too, so line errors are still told apart from
// forgeries (ErrCRC versus ErrAuth). Acknowledgements are tagged with the
// same key. The tag covers the probe epoch and PDU id, so a replayed
// frame cannot be re-labelled: the receiver's de-duplication per (probe,
// epoch) makes it a duplicate, and a frame of a closed epoch is refused
// (Receiver).
//
// A Key is not safe for concurrent use; give each goroutine its own.
type Key struct {
	mac hash.Hash
	sum [sha256.Size]byte
}

// NewKey returns a Key for secret (any length; RFC 2104 §3 recommends at
// least 32 bytes for SHA-256). Error: ErrKey if secret is empty.
func NewKey(secret []byte) (*Key, error) {
	if len(secret) == 0 {
		return nil, ErrKey
	}
	return &Key{mac: hmac.New(sha256.New, secret)}, nil
}

// tag computes the truncated tag of msg into k.sum[:TagLen].
func (k *Key) tag(msg []byte) []byte {
	k.mac.Reset()
	k.mac.Write(msg)
	return k.mac.Sum(k.sum[:0])[:TagLen]
}

func (k *Key) appendTag(dst, msg []byte) []byte { return append(dst, k.tag(msg)...) }

// AppendFrame appends a tagged frame (FlagHMAC set) to dst.
func (k *Key) AppendFrame(dst []byte, h Header, payload []byte) []byte {
	return appendFrame(dst, h, payload, k)
}

// AppendAck appends the tagged acknowledgement of PDU id of the probe's
// run epoch.
func (k *Key) AppendAck(dst []byte, probe uint16, epoch int64, id uint32) []byte {
	return appendAck(dst, probe, epoch, id, 0, k)
}

// Verify checks frame's structure and CRC (as ParseFrame, returning its
// errors) and then its tag under k: ErrAuth if the frame is untagged or the
// tag differs (compared in constant time).
func (k *Key) Verify(frame []byte) error {
	h, p, err := ParseFrame(frame)
	if err != nil {
		return err
	}
	if h.Flags&FlagHMAC == 0 {
		return ErrAuth
	}
	end := HeaderLen + len(p)
	if !hmac.Equal(k.tag(frame[:end]), frame[end:end+TagLen]) {
		return ErrAuth
	}
	return nil
}
