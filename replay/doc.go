// Package replay reads capture files as packet sources (pkt.Source) and
// paces their replay.
//
// Where it sits: below cmd/tmonbench and beside live/, it feeds the probe
// engine (design 3.1, "packet sources") and imports only the leaf package
// engine/pkt.
//
// Inputs: classic pcap (µs magic 0xa1b2c3d4 and ns magic 0xa1b23c4d, both
// byte orders; pcap draft-ietf-opsawg-pcap; also Alexey Kuznetzov's
// modified pcap, magic 0xa1b2cd34, whose records carry 8 more header
// bytes, as libpcap reads it) and pcapng (several sections,
// several interfaces with their own link type, if_tsresol and if_tsoffset;
// Enhanced, Simple and obsolete Packet Blocks; other blocks skipped;
// draft-ietf-opsawg-pcapng), either of them gzip-compressed (recognised by
// content). Open and NewReader return a *File.
//
// Outputs: packets with pkt.Meta — TimeNs in Unix nanoseconds, CapLen and
// WireLen in bytes, the full 16-bit LinkType (276 stays LINUX_SLL2), Frame
// numbered from 1 over the file's packet records, and Iface the file-wide
// pcapng interface index (0 for classic pcap). Data is borrowed until the
// next Next, from one buffer per File: no allocation per packet.
//
// Robustness, as libpcap and Wireshark read files: records longer than the
// header snaplen are kept whole, a snaplen of 0 means no limit, an invalid
// timestamp fraction is clamped and counted (Stats.InvalidTimestamps), and
// packets of pcapng interfaces with an unsupported link type are skipped and
// counted (Stats.SkippedUnsupported). A damaged file yields all its good
// packets, then one *Error wrapping pkt.ErrTruncated or pkt.ErrMalformed
// with the frame number and byte offset. No input makes it panic
// (FuzzOpen).
//
// Several sources replay together through Merge (capture-time order, ties
// in argument order, Merged.Last names the source, failures of one source
// do not stop the others) and WithIface (per-source interface numbers).
//
// Pacing is wall-clock and lives here, outside the engines, which only see
// capture time: ParseSpeed reads --speed ("full", "realtime", "4x") and a
// Pacer sleeps between packets, interruptible through a context.
//
// Why read(2), not mmap: a File copies a regular file out of the page
// cache with read(2) into its 512 KiB blocks (a goroutine of its own with
// ReadAhead), the one copy left on the read path. Mapping the file
// instead (read-only, MADV_SEQUENTIAL, MADV_POPULATE_READ on the window
// ahead, MADV_DONTNEED behind) was measured for issue 14 and left out: on
// the machine tmonbench is measured on (a VM, Linux 6.18) the first touch
// of each newly mapped page costs 2.6-5.5 µs even when populated ahead,
// against about 1 µs a page for read(2) to copy it, so a walk of the
// mapped records took 1.5-1.7 µs a packet on the 5 M corpus against
// 0.15-0.20 µs for this File, and a mapped File's read stage in bench
// 410-434 ns a packet against 88-112 (BenchmarkMmap, docs/speed.md,
// "Reading a capture file"). BenchmarkMmap measures it again elsewhere.
//
// The file readers are our own rather than gopacket's pcapgo, which gets
// edge case 17 (2^-20 resolution, per-section interface ids) and the
// invalid-timestamp sample wrong and gives errors without offsets (see
// pcap.go and pcapng.go); TestAgainstPcapgo checks every sample, packet
// for packet, against pcapgo where pcapgo reads the file.
package replay
