// Package probe is the probe engine (design 3): packets from a pkt.Source
// are dissected (engine/dissect), sorted into flow classes by one sieve
// (engine/filter), counted per granular flow and interval (engine/flow),
// and every observation leaves as PDUs through a pdu.Sender (design 3.14).
//
//	Source -> Dissect -> Sieve -> flow.Table -> counters -> pdu.Sender -> Link
//
// All timers run on capture time: the probe clock is the latest packet
// time, so a replay gives the same PDUs at any speed.
package probe
