// Package probe is the probe engine (design 3): packets from a pkt.Source
// are dissected (engine/dissect), sorted into flow classes by one sieve
// (engine/filter), counted per granular flow and interval (engine/flow),
// and every observation leaves as PDUs through a pdu.Sender (design 3.14).
//
//	Source -> Dissect -> Sieve -> flow.Table -> counters -> pdu.Sender -> Link
//
// All timers run on capture time: the probe clock is the latest packet
// time, so a replay gives the same PDUs at any speed. Beside it the probe
// keeps a timer clock (clock.go: capture time with the capture's clock
// steps taken out) that the analysers' timeouts and durations run on, and
// reports steps back, jumps and impossible times as events.
//
// Fragments (frag.go): every fragment counts in its datagram's flows, an
// early non-first fragment is held until its first fragment comes, each
// payload byte counts once, and reassembled, failed, oversize, duplicate
// and overlapping datagrams are counted per flow. Classes with
// upper_layer also match behind IPv6 extension headers (match.go).
//
// Every counter of the packages the probe runs reaches the output
// (counters.go): anomalies as one event per interval with their first
// occurrence and count, everything in *_totals events at the end.
//
// Probe.Run is a probe process's life over any pkt.Source (a capture file,
// a live socket): read, pace, Packet, poll the collectors' acks, keep the
// clock moving with the wall clock when a live source is idle
// (pkt.ErrIdle), and at the end Close and linger for the last acks. Loop
// is the read loop it shares with the in-process pipeline.
package probe
