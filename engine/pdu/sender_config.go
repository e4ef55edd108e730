package pdu

// The regulation parameters of one probe-to-collector channel, their
// defaults and their validation.

import (
	"errors"
	"fmt"
)

// ErrConfig is wrapped by SenderConfig.Validate's errors.
var ErrConfig = errors.New("pdu: invalid sender config")

// SenderConfig regulates one probe-to-collector channel (design 1.5, 3.14);
// each collector of a probe has its own (design 1.2). Times are in
// nanoseconds of the probe's clock (capture time in replay, wall clock in
// live). Zero values keep the behaviour of the first, unregulated
// transport: no gap, no retry limit (so no long retry mode and nothing is
// ever destroyed), no heartbeat.
type SenderConfig struct {
	// Collector names the collector in event messages.
	Collector string
	// MaxPDUBytes is the largest frame sent, header, tag and CRC included
	// (design 1.5 "maximum PDU size"). NewSender clamps it to
	// [HeaderLen+TagLen+TrailerLen+64, MaxFrameBytes].
	MaxPDUBytes int
	// MaxBuildNs flushes a PDU under construction once its first record is
	// this old (design 1.5 "maximum build duration").
	MaxBuildNs int64
	// MinGapNs is the minimum time between two transmissions, first or
	// retried, heartbeats included: the sending slots of design 1.5.
	MinGapNs int64
	// InitialTimeoutNs is the first acknowledgement timeout; NewSender
	// takes 2 s for 0 (Validate reports 0).
	InitialTimeoutNs int64
	// TimeoutIncrementNs and TimeoutMultiplier grow the timeout after each
	// retry: next = previous*TimeoutMultiplier + TimeoutIncrementNs
	// (multiplier 0 means 1).
	TimeoutIncrementNs int64
	TimeoutMultiplier  float64
	// MaxRetries is the number of retransmissions after the first
	// transmission; when the timeout after the last one expires, the PDU is
	// exhausted and the channel enters long retry mode. 0 retries forever
	// at the growing timeout, never entering long retry mode.
	MaxRetries int
	// FinalTimeoutNs: in long retry mode, PDUs older than this (since their
	// build) are destroyed, except definitions, FTP records, break-border
	// PDUs and the exhausted PDU. 0 destroys nothing. Needs MaxRetries > 0.
	FinalTimeoutNs int64
	// BreakBorderNs: on entering long retry mode, the pending PDUs built in
	// the last BreakBorderNs are kept until delivered (design 1.5 "break
	// border window"). 0 keeps none.
	BreakBorderNs int64
	// HeartbeatNs sends an empty heartbeat after this long without any
	// transmission (design 3.14). 0 sends none.
	HeartbeatNs int64
	// BacklogNs: when the PDUs waiting for their first sending slot would
	// take longer than this to leave (queued PDUs x MinGapNs), the channel
	// reports a backlog (event pdu_backlog; SenderStats.BacklogEntries):
	// observations are produced faster than the regulation lets them out
	// (design 1.5: the probe must not silently fall behind). It reports the
	// end of the backlog (pdu_backlog_cleared) once under half of it. 0
	// takes 10 s; the check needs MinGapNs > 0.
	BacklogNs int64
	// MaxQueueBytes bounds the bytes of the PDUs the channel holds (to
	// send or waiting for their acknowledgement) that may be destroyed:
	// past it the oldest are destroyed and counted (bound.go). 0 takes
	// DefaultMaxQueueBytes (16 MiB); negative: no bound.
	MaxQueueBytes int
	// MaxPermanentBytes bounds the memory of the permanent PDUs the
	// channel holds (frames plus ~200 B of bookkeeping each): past it new
	// ones go to the disk spool in SpoolDir, and come back as
	// acknowledgements free memory (permanent.go). 0 takes
	// DefaultMaxPermanentBytes (4 MiB); negative: no bound.
	MaxPermanentBytes int
	// SpoolDir is the folder of the spool (a probe process's --state-dir).
	// "": no spool, the oldest flow definitions, FTP records and events
	// past MaxPermanentBytes are destroyed and counted (a warning once).
	SpoolDir string
	// SpoolMaxBytes bounds the spool's live bytes: past it the oldest
	// spooled flow definitions, FTP records and events are destroyed and
	// counted. 0 takes DefaultSpoolMaxBytes (1 GiB).
	SpoolMaxBytes int64
	// Key, if not empty, is the probe's shared secret: frames are tagged
	// with HMAC-SHA256 and only acks tagged with the same key are accepted
	// (see Key).
	Key []byte
	// Epoch identifies this run of the probe in every frame (Header.Epoch):
	// the probe's start time in Unix ns, greater than any earlier run's, so
	// the collector de-duplicates each run apart and refuses frames of runs
	// it closed. Acks of another epoch are refused (BadAcks).
	Epoch int64
	// OnEvent, if set, receives the channel's transitions (Event* kinds)
	// at probe time timeNs. It is called after the Sender's state is
	// settled, so it may append records to the same Sender.
	OnEvent func(timeNs int64, severity uint8, kind, msg string)
	// OnSend, if set, is called for every transmission: the send log.
	OnSend func(SendRecord)
	// WallNs, if set, is the wall clock (Unix ns) of a real network link:
	// an acknowledgement timeout then also waits its time in wall time
	// since the transmission, as a round trip takes wall time. A probe
	// process replaying a capture faster than real time (probe --pcap
	// --speed full) otherwise times out, in capture time, acks the
	// collector sends within a millisecond: retransmissions, and long
	// retry mode with a healthy collector. nil (in process, where the link
	// acknowledges at once): capture time only, so rows and PDU counts are
	// the same at any speed.
	WallNs func() int64
}

// DefaultSenderConfig returns the documented defaults for a network link
// (UDP): 1400-byte PDUs (fits a 1500-byte Ethernet MTU with IP and UDP
// headers), 1 s build time, 1 ms between sends, timeouts of 2 s growing by
// x1.5 + 1 s over 5 retries (2, 4, 7, 11.5, 18.25 and 28.375 s: a PDU is
// exhausted 71.125 s after its first transmission, and 28.375 s is the
// long-retry period), 10 min final timeout, 30 s break-border window,
// heartbeat after 10 s of silence, backlog reported past 10 s of queued
// sends.
//
// The sending rate is sized for busy links: one PDU per MinGapNs of at
// most MaxPDUBytes is 1000 x 1400 B = 1.4 MB/s (11.2 Mbit/s) of
// observations, 1.1 % of a saturated 1 Gbit/s link. The default config
// produces about 690 kB/s of PDUs on the 5 M-packet benchmark corpus
// (197 k flows), which the former 10 ms gap (140 kB/s) could not carry: 83
// % of its PDUs then waited in the sender. A channel that cannot keep up
// reports a backlog (BacklogNs).
func DefaultSenderConfig() SenderConfig {
	return SenderConfig{
		MaxPDUBytes:        1400,
		MaxBuildNs:         1e9,
		MinGapNs:           1e6,
		InitialTimeoutNs:   2e9,
		TimeoutIncrementNs: 1e9,
		TimeoutMultiplier:  1.5,
		MaxRetries:         5,
		FinalTimeoutNs:     600e9,
		BreakBorderNs:      30e9,
		HeartbeatNs:        10e9,
		BacklogNs:          10e9,
	}
}

// Validate reports every inconsistent field, each error wrapping ErrConfig.
func (c SenderConfig) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...))
	}
	lo, hi := HeaderLen+TagLen+TrailerLen+64, MaxFrameBytes
	if c.MaxPDUBytes < lo || c.MaxPDUBytes > hi {
		bad("MaxPDUBytes %d outside [%d, %d]", c.MaxPDUBytes, lo, hi)
	}
	for _, f := range []struct {
		name string
		v    int64
	}{{"MaxBuildNs", c.MaxBuildNs}, {"MinGapNs", c.MinGapNs}, {"InitialTimeoutNs", c.InitialTimeoutNs},
		{"TimeoutIncrementNs", c.TimeoutIncrementNs}, {"FinalTimeoutNs", c.FinalTimeoutNs},
		{"BreakBorderNs", c.BreakBorderNs}, {"HeartbeatNs", c.HeartbeatNs}, {"MaxRetries", int64(c.MaxRetries)}, {"BacklogNs", c.BacklogNs}} {
		if f.v < 0 {
			bad("%s %d < 0", f.name, f.v)
		}
	}
	if c.InitialTimeoutNs == 0 {
		bad("InitialTimeoutNs is 0")
	}
	if c.TimeoutMultiplier != 0 && !(c.TimeoutMultiplier >= 1 && c.TimeoutMultiplier <= 100) {
		bad("TimeoutMultiplier %g outside [1, 100]", c.TimeoutMultiplier)
	}
	if c.HeartbeatNs > 0 && c.HeartbeatNs < c.MinGapNs {
		bad("HeartbeatNs %d < MinGapNs %d", c.HeartbeatNs, c.MinGapNs)
	}
	if c.FinalTimeoutNs > 0 && c.MaxRetries == 0 {
		bad("FinalTimeoutNs set but MaxRetries is 0 (no long retry mode)")
	}
	return errors.Join(errs...)
}
