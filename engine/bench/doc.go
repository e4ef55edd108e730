// Package bench measures the probe hardware (design 1.4: "the packet
// capture file can be processed at full speed; this permits to measure the
// maximum performance that the probe can achieve"): it runs the complete
// in-process pipeline (engine/pipeline: every analysis of the config, PDUs,
// the collector, Parquet into a temporary folder) and, in the same process
// on the same packets, the decode-only floor of shared/bench (pcapgo
// zero-copy read + gopacket DecodingLayerParser), alternated A B A B, and
// reports packets/s, Gbit/s, the ratio of the wall times, CPU time per
// stage, allocations per packet, peak RSS, PDU bytes per traffic byte and
// rows per table.
//
// Stage times come from a CPU profile of the full runs (runtime/pprof,
// 100 samples a second), each sample charged to the stage of the frames on
// its stack (stages.go): nothing is timed on the per-packet path, so with
// stages off the pipeline runs exactly as in a replay, and with them on the
// cost is the profiler's (measured: Report.ProfileOverhead when asked).
//
// It is the one engine package that reads the wall clock: measuring is its
// job. tmonbench bench (cmd) prints its Report.
package bench
