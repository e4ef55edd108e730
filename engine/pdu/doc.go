// Package pdu is the wire format of the observations a probe sends to its
// collectors (design 1.5, 3.14, 4.1) and the reliable transport that carries
// them.
//
// A frame is one UDP datagram (or one loopback message):
//
//	offset size field
//	0      2    magic "TM"
//	2      1    version (1)
//	3      1    PDU type (Type)
//	4      1    flags (bit 0: HMAC tag present, reserved for authentication)
//	5      1    reserved, 0
//	6      2    probe id (big endian)
//	8      4    PDU id: per probe and collector sequence number, from 1
//	12     8    build time: probe clock in Unix ns when the PDU was built
//	20     2    payload length in bytes
//	22     n    payload: records of the PDU's type, back to back
//	22+n   4    CRC-32C (Castagnoli) of bytes 0..22+n
//
// An acknowledgement is a frame of type TypeAck whose payload is the
// acknowledged PDU id written twice (design 3.14: "two times the PDU ID, to
// detect transmission errors").
//
// Records use unsigned varints (encoding/binary) for counts, ids and ports,
// zig-zag varints for times, and length-prefixed strings, so that a flow
// definition costs a few tens of bytes and a counter with integral values a
// few bytes. Decoders never panic on hostile input: they return ErrShort or
// ErrCorrupt.
package pdu
