// Package engine holds the probe and collector engines of tmonbench, a
// re-implementation of trafMon (design: trafmon-design.md). It does no file
// or terminal I/O: packets come in through pkt.Source, rows go out as
// observe.Batch.
//
//	          probe (engine/probe, design 3)                     collector (engine/collector, design 4)
//	pkt.Source -> dissect -> filter sieve -> flow table ->     pdu.Receiver -> decode -> rows
//	              (reasm)    (design 3.4)   (design 3.2)  \     (CRC, ack,      (observe.Batch)
//	                                        counters,      \     dedupe)             |
//	                                        analysers       -> pdu.Sender ==Link==>  |
//	                                                           (design 3.14)         v
//	                                                                          store (Parquet)
//
// Sub-packages, bottom up: pkt, observe, config, stat (leaf types);
// dissect, pdu, store; filter, flow, reasm; the analysers; probe and
// collector; pipeline (both in one process, joined by a loopback link).
// engine/deps_test.go keeps the imports running one way.
package engine
