// Package pdu is the wire format of the observations a probe sends to its
// collectors (design 1.5, 3.14, 4.1) and the regulated, reliable transport
// that carries them. It sits above the leaf types and below probe and
// collector; it never reads the wall clock: every time is a nowNs argument
// (capture time in replay, wall clock in live).
//
// # Frames
//
// A frame is one UDP datagram (or one loopback message):
//
//	offset size field
//	0      2    magic "TM"
//	2      1    version (3)
//	3      1    PDU type (Type)
//	4      1    flags: bit 0 (FlagHMAC) an HMAC tag follows the payload; bit 1
//	            (FlagKept) the sender keeps retrying it past the age bound; others 0
//	5      1    reserved, 0
//	6      2    probe id (big endian)
//	8      8    probe epoch: the probe run's start time, Unix ns (grows from run to run)
//	16     4    PDU id: per probe run and collector sequence number, from 1; in a heartbeat
//	            the latest id the sender gave (0 before any)
//	20     8    build time: probe clock in Unix ns when the PDU was built
//	28     2    payload length n in bytes
//	30     n    payload: records of the PDU's type, back to back
//	30+n   16   only with FlagHMAC: HMAC-SHA256 of bytes 0..30+n, leftmost 16 bytes
//	end-4  4    CRC-32C (Castagnoli) of every byte before it
//
// Frames of versions 3 to 5 (MinVersion) are accepted and read as they
// were written (Header.Version, Dec.Version: the DNS samples of versions 3
// and 4 do not say UDP or TCP, the FTP rows of versions 3 to 5 not their
// class). Frames of other versions (1: no epoch, 22-byte header; 2:
// no FlagKept; a newer one) are refused and counted
// (ReceiverStats.OldVersion): upgrade the older of probe and collector.
//
// An acknowledgement is a frame of type TypeAck whose payload is the
// acknowledged PDU id written twice (design 3.14: "two times the PDU ID, to
// detect transmission errors"), with the acknowledged PDU's probe epoch in
// the header and the collector's state epoch in the build-time field,
// tagged like the PDUs when the channel is authenticated; a Sender refuses
// acks of another epoch (a previous run's). A heartbeat (TypeHeartbeat)
// is never acknowledged; its 4-byte payload is the sender's low
// watermark, the oldest PDU id it still holds, so the collector can close
// its de-duplication window over ids the probe destroyed (counted in
// ReceiverStats.Skipped); its id is the latest PDU id the sender gave (0
// before any) and its build time the sender's clock, so that a collector
// holding every PDU up to that id knows how far the probe observed.
//
// # Probe runs (epochs) and replay protection
//
// PDU ids start at 1 in every run of a probe, so the collector keeps one
// de-duplication window per (probe, epoch): a restarted probe is a new
// run (Verdict.Restart, the collector's probe_restart event), not a stream
// of duplicates. Each run's ids in the tables are offset by its ordinal
// (Verdict.Base = run << 48) so two runs never share a flow id. A window
// is a bitmap of MaxWindow ids above its low edge (8 KiB, allocated on the
// first out-of-order id); at most MaxEpochs runs per probe stay open, and
// a superseded run closes once silent EpochGraceNs (15 min, longer than
// the final timeout plus the longest retry). A stopped or killed probe
// sends nothing more, so a superseded run that speaks DuplicateRunNs (2 s)
// after the newer one began is a second probe process under the same
// name: that run and the older ones close at once (ErrDuplicateRun, the
// collector's probe_duplicate_name event), and only the newest run is
// taken from then on. Frames of a closed run, or of
// a run older than the newest one seen and never opened, are refused
// (ErrClosedEpoch): a captured frame replayed later is either a duplicate
// of its open run or refused. The tag covers epoch and id, and
// ReceiverState carries the windows across collector restarts.
//
// Records use unsigned varints (encoding/binary) for counts, ids and ports,
// zig-zag varints for times, and length-prefixed strings, so that a flow
// definition costs a few tens of bytes and a counter with integral values a
// few bytes. Decoders never panic on hostile input: they return ErrShort or
// ErrCorrupt.
//
// # Regulation (Sender, one per collector)
//
// The probe appends records with Begin/End to the PDU under construction of
// their type; a PDU is built when full (MaxPDUBytes) or when its first
// record is MaxBuildNs old, definitions before the observations that need
// them. Built PDUs queue for sending slots: at most one transmission, first
// or retried, heartbeat included, per MinGapNs, oldest PDU id first.
// Between two calls the Sender replays the events (build timeouts, ack
// timeouts, slots, heartbeats) in time order, so the send log of a replay
// does not depend on how often Tick is called.
//
// Nominal mode. Each transmission waits for its acknowledgement: the
// timeout is InitialTimeoutNs after the first transmission, then
// previous*TimeoutMultiplier + TimeoutIncrementNs after each retry. With
// the defaults (2 s, x1.5, +1 s, 5 retries) the timeouts are 2, 4, 7, 11.5,
// 18.25 and 28.375 s (the maximum timeout).
//
// Long retry mode. When the timeout after the MaxRetries-th retry of a PDU
// expires (71.125 s after its first send with the defaults), the channel
// enters long retry mode (event pdu_long_retry_enter):
//
//   - that exhausted PDU is resent every InitialTimeoutNs until any ack;
//   - every other PDU, and each new one after its first transmission, is
//     resent every maximum timeout;
//   - the pending PDUs built in the last BreakBorderNs before entering are
//     marked break-border and kept until delivered, whatever their age;
//   - key PDUs (Permanent: hello, metric, histogram-slice and flow
//     definitions, FTP transfers and sessions) are kept until delivered;
//   - any other PDU is destroyed as soon as it is FinalTimeoutNs older than
//     its build time: counted per type with its records in
//     SenderStats.Destroyed and DestroyedRecords; the first destruction of
//     a break is an event (pdu_destroyed).
//
// The first valid acknowledgement ends long retry mode (event
// pdu_long_retry_leave, with the totals destroyed): every pending PDU is
// due at once, with a new retry budget, through the slots. Only long retry
// mode destroys anything; MaxRetries 0 (retry forever) never enters it.
//
// Idle. After HeartbeatNs without any transmission a heartbeat is sent.
//
// Parameters, defaults (DefaultSenderConfig) and zero values:
//
//	MaxPDUBytes        1400 B      frame size limit (106 to 65507: one UDP datagram)
//	MaxBuildNs         1 s         age of a PDU under construction before it is built
//	MinGapNs           1 ms        sending slot (0: no gap)
//	InitialTimeoutNs   2 s         first ack timeout (0: 2 s)
//	TimeoutIncrementNs 1 s         added after each retry
//	TimeoutMultiplier  1.5         applied after each retry (0: 1)
//	MaxRetries         5           retries before long retry mode (0: forever)
//	FinalTimeoutNs     10 min      age at which long retry mode destroys (0: never)
//	BreakBorderNs      30 s        break-border window (0: none)
//	HeartbeatNs        10 s        idle time before a heartbeat (0: none)
//	Key                none        per-probe HMAC-SHA256 secret
//
// Several collectors (design 1.2): one Sender per collector, each with its
// own SenderConfig; Multi encodes each record once and appends it to every
// collector's PDU under construction.
//
// # Collector side (Receiver)
//
// Receiver checks CRC and sanity (bad frames are counted by cause and
// dropped, never acknowledged), accepts only the probes it is told of
// (SetProbes; SetKeys too) unless open, authenticates when it has keys
// (unknown probes and missing or wrong tags counted, never acknowledged),
// acknowledges, de-duplicates by (probe, epoch, PDU id) and follows each
// probe's liveness from its latest frame, heartbeats included (Liveness
// reports silences and returns). Check is its stateless half and Accept
// its stateful one, so a collector can journal what Accept saw.
//
// # Links
//
// Loopback is the in-process link, synchronous, with optional fault
// injection (loss, duplication, reordering, corruption, outage windows)
// driven by probe time and a seed. UDPLink and UDPListener carry the same
// frames over UDP; acknowledgements read by UDPLink's goroutine are handed
// to the Sender from the probe's goroutine (Poll), so the regulation is the
// same code for both.
package pdu
