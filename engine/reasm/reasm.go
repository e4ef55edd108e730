package reasm

import (
	"errors"
	"hash/maphash"
	"net/netip"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/dissect"
)

// Errors Add returns for a packet it cannot take as a fragment. Add returns
// them unwrapped (no allocation), so compare with == or errors.Is.
var (
	// ErrNotFragment means the packet is not an IP fragment: an IPv4
	// header with MF=0 and offset 0, an IPv6 header chain without a
	// Fragment header, or not IP at all. Nothing is counted or stored.
	ErrNotFragment = errors.New("reasm: not an IP fragment")
	// ErrMalformed means the IP or Fragment header is inconsistent (bad
	// IHL, total length shorter than the header, a zero-length fragment,
	// an IPv6 non-last fragment whose length is not a multiple of 8,
	// RFC 8200 §4.5) or the capture is too short to hold it. The fragment
	// is dropped and counted in Stats.Malformed.
	ErrMalformed = errors.New("reasm: malformed IP fragment")
	// ErrTooLong means the fragment's offset plus length would make the
	// reassembled datagram exceed 65535 bytes (IPv4 total length, RFC 791
	// §3.2; IPv6 payload length, RFC 8200 §4.5) or Config.MaxDatagramBytes.
	// The fragment is dropped and counted in Stats.TooLong.
	ErrTooLong = errors.New("reasm: fragment beyond the maximum datagram length")
	// ErrConfig is wrapped by Config.Validate for a field out of range.
	ErrConfig = errors.New("reasm: invalid config")
)

// Limits of the wire formats.
const (
	// MaxIPv4Bytes is the largest IPv4 datagram (16-bit total length,
	// RFC 791 §3.1).
	MaxIPv4Bytes = 65535
	// MaxIPv6Bytes is the largest non-jumbo IPv6 packet: the 40-byte fixed
	// header plus a 16-bit payload length (RFC 8200 §3). Jumbograms
	// (RFC 2675) cannot be fragmented.
	MaxIPv6Bytes = 65535 + 40
	// MinDatagramBytes is the smallest Config.MaxDatagramBytes accepted:
	// every IPv4 host must reassemble 576-byte datagrams (RFC 791 §3.2).
	MinDatagramBytes = 576
)

// headroom is the space kept in front of the payload in a context buffer,
// so that a header of up to headroom bytes (every IPv4 header, and IPv6
// headers with up to 24 bytes of unfragmentable extension headers) is
// written in place in front of the reassembled payload, without a copy.
const headroom = 64

// Config bounds a Reassembler. Times are capture times in nanoseconds.
type Config struct {
	// TimeoutNs is the life of an IPv4 reassembly context, counted from
	// the capture time of the first fragment to arrive (not refreshed by
	// later fragments, as in Linux). A datagram not complete by then is
	// reported Incomplete with ReasonTimeout. Default 30 s: Linux
	// ipfrag_time; RFC 791 suggests 15 s as a lower bound of its timer.
	TimeoutNs int64
	// IPv6TimeoutNs is the same for IPv6. Default 60 s: RFC 8200 §4.5
	// ("If insufficient fragments are received to complete reassembly of
	// a packet within 60 seconds of the reception of the first-arriving
	// fragment of that packet, reassembly of that packet must be
	// abandoned") and Linux ip6frag_time (IPV6_FRAG_TIMEOUT, 60 s).
	IPv6TimeoutNs int64
	// MaxDatagrams bounds the contexts in progress. When a new datagram
	// would exceed it, the oldest context is evicted (Stats.Evictions,
	// ReasonEvicted). Default 1024.
	MaxDatagrams int
	// MaxDatagramBytes caps the reassembled datagram, header included, in
	// bytes: a fragment reaching beyond it is dropped with ErrTooLong.
	// Default and maximum MaxIPv6Bytes (65575); IPv4 is further capped at
	// MaxIPv4Bytes by its header. Minimum MinDatagramBytes.
	MaxDatagramBytes int
	// MaxFragments bounds the fragments accepted per datagram (FreeBSD's
	// net.inet.ip.maxfragsperpacket); beyond it the datagram is abandoned
	// (ReasonTooManyFragments). Default 256, range 1..8192 (65535/8).
	MaxFragments int
}

// FromTable is a config file's reassembly section as the reassembler
// takes it.
func FromTable(r config.Reassembly) Config {
	return Config{TimeoutNs: config.SecondsNs(r.TimeoutS), IPv6TimeoutNs: config.SecondsNs(r.IPv6TimeoutS), MaxDatagrams: r.MaxDatagrams, MaxDatagramBytes: r.MaxDatagramBytes, MaxFragments: r.MaxFragments}
}

// DefaultConfig returns the defaults documented on each Config field
// (reassembly's defaults, config.DefaultReassembly).
func DefaultConfig() Config { return FromTable(config.DefaultReassembly()) }

// Validate reports the first field out of range, wrapping ErrConfig.
func (c Config) Validate() error {
	return config.Check(ErrConfig, config.AtLeast("TimeoutNs", c.TimeoutNs, 1), config.AtLeast("IPv6TimeoutNs", c.IPv6TimeoutNs, 1), config.AtLeast("MaxDatagrams", c.MaxDatagrams, 1),
		config.Within("MaxDatagramBytes", c.MaxDatagramBytes, MinDatagramBytes, MaxIPv6Bytes), config.Within("MaxFragments", c.MaxFragments, 1, 8192))
}

// Reason says why a datagram was reported Incomplete.
type Reason uint8

// Reasons for an Incomplete. The first three say why the context was
// removed; the others say why it had already been abandoned (an abandoned
// context stays until its timeout, eviction or Flush, absorbing its late
// fragments, and is then reported with the abandon reason).
const (
	ReasonNone             Reason = iota // not abandoned (internal zero value)
	ReasonTimeout                        // TimeoutNs (IPv6: IPv6TimeoutNs) elapsed since the first fragment
	ReasonEvicted                        // removed to respect MaxDatagrams
	ReasonFlush                          // still in progress at Flush (end of input)
	ReasonTruncated                      // a fragment was captured shorter than its IP length announces
	ReasonOverlap                        // IPv6 fragments overlapped: datagram discarded (RFC 5722)
	ReasonTooManyFragments               // more than MaxFragments fragments
	ReasonTooLong                        // a fragment would take the datagram beyond the maximum length (ErrTooLong)
	ReasonLateCopies                     // every fragment repeated one of the datagram reassembled before with the key (done.go): no failure
	ReasonReused                         // IPv4: a fragment of another datagram with the identification came (Reassembler.reused)
	ReasonShortChain                     // IPv6: the first fragment lacks part of the header chain (RFC 7112)
)

// String returns the reason as written in event rows: "timeout",
// "evicted", "flush", "truncated", "overlap", "too_many_fragments",
// "too_long", "late_copies", "id_reused", "incomplete_header_chain".
func (r Reason) String() string {
	switch r {
	case ReasonTimeout:
		return "timeout"
	case ReasonEvicted:
		return "evicted"
	case ReasonFlush:
		return "flush"
	case ReasonTruncated:
		return "truncated"
	case ReasonOverlap:
		return "overlap"
	case ReasonTooManyFragments:
		return "too_many_fragments"
	case ReasonTooLong:
		return "too_long"
	case ReasonLateCopies:
		return "late_copies"
	case ReasonReused:
		return "id_reused"
	case ReasonShortChain:
		return "incomplete_header_chain"
	}
	return "none"
}

// Result is what Add returns for an accepted fragment. Unless Complete,
// only Duplicate and Overlap may be set: the fragment was stored (or
// absorbed by an abandoned context, or ignored as a duplicate).
type Result struct {
	// Complete is true when this fragment completed its datagram.
	Complete bool
	// Datagram is the reassembled raw IP packet (link header excluded):
	// IPv4: the offset-0 fragment's header (options included) with total
	// length set, MF and offset cleared (DF and the reserved bit kept) and
	// the header checksum recomputed, then the payload. IPv6: the offset-0
	// fragment's unfragmentable part with payload length set and the Next
	// Header field that named the Fragment header (44) set to the Fragment
	// header's Next Header, then the reassembled fragmentable part; the
	// Fragment header is removed (RFC 8200 §4.5). Borrowed: valid until
	// the next Add.
	Datagram []byte
	// IPVersion is 4 or 6.
	IPVersion uint8
	// Iface is the capture interface of the fragments (pkt.Meta.Iface).
	Iface uint16
	// ID is the IPv4 identification (16 bits) or IPv6 fragment
	// identification (32 bits).
	ID uint32
	// FirstNs and LastNs are the capture times, in Unix ns, of the
	// earliest and latest fragment of the datagram (design 3.8: "oldest
	// and youngest timestamps of the collection of fragments").
	// Duplicates are ignored and do not move them.
	FirstNs, LastNs int64
	// Fragments is the number of fragments that made the datagram,
	// duplicates excluded, overlapping fragments included.
	Fragments int
	// Duplicate is true when this fragment repeated one already held
	// (same offset, length and MF): ignored, counted in Stats.Duplicates.
	Duplicate bool
	// Overlap is true when this fragment overlapped data held or went
	// beyond the known end (counted in Stats.Overlaps): IPv4 keeps the
	// first data received for every byte, IPv6 discards the datagram.
	Overlap bool
}

// Incomplete describes a datagram given up without being reassembled: the
// probe turns it into an incomplete-datagram event (design 3.2). Its
// fragments were already counted at IP level by the probe as they passed.
type Incomplete struct {
	Iface     uint16     // capture interface (pkt.Meta.Iface)
	IPVersion uint8      // 4 or 6
	SrcAddr   netip.Addr // source address
	DstAddr   netip.Addr // destination address
	// Protocol is the IPv4 protocol, or for IPv6 the Next Header of the
	// Fragment header (the first header of the fragmentable part).
	Protocol uint8
	ID       uint32 // IPv4 identification or IPv6 fragment identification
	FirstNs  int64  // capture time of the earliest fragment, Unix ns
	LastNs   int64  // capture time of the latest fragment, Unix ns
	// Fragments is the number of fragments received, duplicates excluded.
	Fragments int
	// BytesHave is the number of distinct payload (fragmentable part)
	// bytes held when the datagram was given up or abandoned.
	BytesHave uint32
	// TotalBytes is the payload length announced by the last fragment
	// (offset + length of the MF=0 fragment); 0 when HaveLast is false.
	TotalBytes uint32
	// HaveFirst is true when the offset-0 fragment was received, so the
	// transport header (ports) is known to the probe.
	HaveFirst bool
	// HaveLast is true when the last (MF=0) fragment was received.
	HaveLast bool
	// Reason says why the datagram is incomplete.
	Reason Reason
}

// Stats counts what a Reassembler saw; every counter only grows.
type Stats struct {
	Fragments  uint64 // fragments accepted by Add (errors excluded, duplicates included)
	Datagrams  uint64 // datagrams reassembled (Result.Complete)
	Overlaps   uint64 // fragments overlapping data already held or beyond the known end (duplicates excluded)
	Duplicates uint64 // fragments with the offset, length and MF of one already held (ignored), or late copies of a reassembled datagram's given up (done.go)
	Unaligned  uint64 // IPv4 non-last fragments whose length is not a multiple of 8: trimmed (as Linux)
	Timeouts   uint64 // contexts removed by TimeoutNs or IPv6TimeoutNs (Incomplete emitted)
	Evictions  uint64 // contexts removed for MaxDatagrams (Incomplete emitted)
	Flushed    uint64 // contexts removed by Flush (Incomplete emitted)
	Truncated  uint64 // datagrams abandoned because a fragment was captured short
	Discarded  uint64 // IPv6 datagrams abandoned for overlapping fragments (RFC 5722)
	TooMany    uint64 // datagrams abandoned for more than MaxFragments fragments
	TooLong    uint64 // fragments dropped with ErrTooLong
	Oversize   uint64 // datagrams abandoned with ReasonTooLong (beyond 65535 bytes: ping of death)
	Malformed  uint64 // fragments dropped with ErrMalformed
	Reused     uint64 // IPv4 datagrams given up for a fragment of another datagram with their identification (ReasonReused)
	ShortChain uint64 // IPv6 datagrams abandoned: the first fragment lacks part of the header chain (RFC 7112, ReasonShortChain)
}

// key identifies a datagram in reassembly (design 3.2: interface, address
// pair and IP identifier; RFC 791 §3.2 adds the protocol for IPv4; RFC 8200
// §4.5 keys IPv6 on addresses and identification only, so proto is 0).
type key struct {
	src, dst netip.Addr
	id       uint32
	iface    uint16
	version  uint8
	proto    uint8
}

// span is a byte range [off, end) of the fragmentable part.
type span struct{ off, end uint32 }

// fragRec is one accepted fragment, kept to recognise duplicates.
type fragRec struct {
	off, end uint32
	last     bool
	sig      uint64 // hash of the captured payload: a late copy repeats it (done.go)
}

// ctx is one datagram in reassembly. Slots live in Reassembler.ctxs and are
// reused with their buffers, so the steady state does not allocate.
type ctx struct {
	key       key
	createdNs int64  // timer clock (pkt.Meta.Clock) of the first fragment to arrive: the timeout origin
	seq       uint64 // order of entry into its list: the oldest of the two versions' lists is evicted or flushed first
	firstNs   int64
	lastNs    int64
	prev      int32 // creation-order list of its IP version (Reassembler.head or doneHead)
	next      int32
	nfrag     int
	buf       []byte    // headroom, then the fragmentable part at buf[headroom+off]
	cover     []span    // merged byte ranges held, sorted, within [0, end) once haveLast
	frags     []fragRec // accepted fragments (duplicate detection)
	hdr       []byte    // header of the offset-0 fragment (IPv6: unfragmentable part)
	have      uint32    // bytes held (sum of cover)
	end       uint32    // payload length, known when haveLast
	nhOff     int       // IPv6: offset in hdr of the Next Header byte that named the Fragment header
	proto     uint8     // IPv4 protocol / IPv6 Fragment header Next Header
	haveFirst bool      // offset-0 fragment received
	haveHdr   bool      // hdr holds the offset-0 fragment's header
	haveLast  bool      // MF=0 fragment received
	dead      Reason    // abandoned: absorb fragments until removal
	done      bool      // reassembled: kept to recognise late copies of its fragments (done.go)
	copies    int       // fragments repeating, when they came, one of the reassembled datagram with the key (done.go)
}

// frag is the parse of one fragment.
type frag struct {
	key     key
	off     uint32 // payload offset in bytes
	end     uint32 // off + payload length (after IPv4 trimming)
	last    bool   // MF=0
	trunc   bool   // captured shorter than announced
	payload []byte // captured payload bytes, at most end-off
	hdr     []byte // IPv4 header / IPv6 unfragmentable part
	nhOff   int    // IPv6: offset of the Next Header byte naming the Fragment header
	proto   uint8  // IPv4 protocol / IPv6 Fragment header Next Header
	limit   int    // largest datagram, header included, this version allows
	// IPv6 first fragment without the whole header chain (RFC 7112)
	shortChain bool
}

// Reassembler reassembles IPv4 and IPv6 fragments into datagrams (design
// 3.8). It is not safe for concurrent use; give each worker its own.
type Reassembler struct {
	cfg      Config
	index    map[key]int32
	ctxs     []ctx
	free     []int32
	timeouts [2]int64 // context life by version (ver): TimeoutNs, IPv6TimeoutNs
	head     [2]int32 // oldest context of each version (ver), -1 when none
	tail     [2]int32 // newest context of each version
	seq      uint64   // next ctx.seq
	live     int
	doneIdx  map[key]int32 // reassembled contexts by key (done.go)
	spare    []spareBufs   // buffers reassembled contexts gave up, for new ones (done.go)
	seed     maphash.Seed  // of fragRec.sig
	doneHead [2]int32      // oldest reassembled context of each version, -1 when none
	doneTail [2]int32      // newest reassembled context of each version
	ndone    int
	pending  []Incomplete // evicted/superseded contexts, delivered by the next Expire or Flush
	out      []byte       // datagram assembly when the header exceeds headroom
	stats    Stats
	// recs and spans are the fragment records and cover spans new slots
	// take theirs from (slotRecs each, slotChunk slots per allocation;
	// alloc).
	recs  []fragRec
	spans []span
}

// New returns an empty Reassembler. Fields of cfg that Validate would
// reject take their DefaultConfig value, so New never fails; call
// cfg.Validate first to report a bad configuration.
func New(cfg Config) *Reassembler {
	def := DefaultConfig()
	config.OrDefault(&cfg.TimeoutNs, def.TimeoutNs)
	config.OrDefault(&cfg.IPv6TimeoutNs, def.IPv6TimeoutNs)
	config.OrDefault(&cfg.MaxDatagrams, def.MaxDatagrams)
	if cfg.MaxDatagramBytes < MinDatagramBytes || cfg.MaxDatagramBytes > MaxIPv6Bytes {
		cfg.MaxDatagramBytes = def.MaxDatagramBytes
	}
	if cfg.MaxFragments < 1 || cfg.MaxFragments > 8192 {
		cfg.MaxFragments = def.MaxFragments
	}
	return &Reassembler{
		cfg:      cfg,
		index:    make(map[key]int32, min(cfg.MaxDatagrams, 4096)),
		doneIdx:  make(map[key]int32, min(cfg.MaxDatagrams, 4096)),
		seed:     maphash.MakeSeed(),
		timeouts: [2]int64{cfg.TimeoutNs, cfg.IPv6TimeoutNs},
		head:     [2]int32{-1, -1},
		tail:     [2]int32{-1, -1},
		doneHead: [2]int32{-1, -1},
		doneTail: [2]int32{-1, -1},
	}
}

// Config returns the configuration in use (defaults applied).
func (r *Reassembler) Config() Config { return r.cfg }

// Stats returns a copy of the counters.
func (r *Reassembler) Stats() Stats { return r.stats }

// Len returns the number of datagrams in reassembly (abandoned ones
// included, until they are removed).
func (r *Reassembler) Len() int { return r.live }

// Add takes one fragment. data is the whole captured packet and d its
// dissection: Add uses d.NetOff (offset of the IP header in data),
// d.Meta.TimeNs and d.Meta.Iface, and reads the IP and Fragment headers
// from data itself, so it does not depend on how far the dissector walked
// IPv6 extension headers. data is not retained.
//
// The datagram key is (interface, IP version, source, destination,
// protocol for IPv4, identification). The fragment is stored; when it
// completes its datagram, Result.Complete is true and Result.Datagram
// holds the reassembled packet. A context whose TimeoutNs (IPv6:
// IPv6TimeoutNs) has elapsed at
// d.Meta.TimeNs is given up before the fragment is added (it starts a new
// context), and reaching MaxDatagrams evicts the oldest context: those
// Incompletes are delivered by the next Expire or Flush.
//
// Overlap policy: IPv4 keeps the first data received for every byte
// ("first wins"), and the first MF=0 fragment fixes the length (data
// beyond it is dropped); IPv6 abandons the datagram (RFC 5722). Both count
// Stats.Overlaps. A fragment with the same offset, length and MF as one
// already held is a duplicate: counted and ignored; for IPv4 with other
// bytes, or a second last fragment with another end, it is another
// datagram reusing the identification: the one held is given up
// (ReasonReused) and the fragment starts a new one (Reassembler.reused).
// A fragment captured shorter than its IP length announces abandons its
// datagram (ReasonTruncated), and so does an IPv6 first fragment without
// the whole header chain (ReasonShortChain, RFC 7112).
//
// Errors (the fragment is then ignored): ErrNotFragment, ErrMalformed,
// ErrTooLong. No error is returned for overlaps, duplicates or truncation.
// Steady state: no allocation.
func (r *Reassembler) Add(d *dissect.Dissection, data []byte) (Result, error) {
	if d == nil || int64(d.NetOff) >= int64(len(data)) {
		r.stats.Malformed++
		return Result{}, ErrMalformed
	}
	var f frag
	var err error
	p := data[d.NetOff:]
	switch p[0] >> 4 {
	case 4:
		err = r.parse4(p, &f)
	case 6:
		err = r.parse6(p, &f)
	default:
		return Result{}, ErrNotFragment
	}
	switch err {
	case nil:
	case ErrMalformed:
		r.stats.Malformed++
		return Result{}, err
	case ErrTooLong:
		r.stats.TooLong++
		f.key.iface = d.Meta.Iface
		c := &r.ctxs[r.context(&f, d.Meta.Clock(), d.Meta.TimeNs)]
		c.nfrag++
		c.lastNs = max(c.lastNs, d.Meta.TimeNs)
		if c.dead == ReasonNone {
			r.abandon(c, ReasonTooLong, &r.stats.Oversize)
		}
		return Result{}, err
	default:
		return Result{}, err
	}
	f.key.iface = d.Meta.Iface
	now := d.Meta.TimeNs
	r.stats.Fragments++
	idx := r.context(&f, d.Meta.Clock(), now)
	c := &r.ctxs[idx]
	sig := maphash.Bytes(r.seed, f.payload)
	if r.reused(c, &f, sig) { // another datagram with the identification: the one held is given up
		r.retire(idx, ReasonReused, &r.stats.Reused, nil)
		idx = r.context(&f, d.Meta.Clock(), now)
		c = &r.ctxs[idx]
	}

	for _, fr := range c.frags {
		if fr.off == f.off && fr.end == f.end && fr.last == f.last {
			r.stats.Duplicates++
			return Result{Duplicate: true}, nil
		}
	}
	if c.dead == ReasonNone { // an abandoned context keeps no list: a flood cannot grow it
		c.frags = append(c.frags, fragRec{off: f.off, end: f.end, last: f.last, sig: sig})
	}
	if r.lateCopy(&f, sig, d.Meta.Clock()) {
		c.copies++
	}
	c.nfrag++
	if now < c.firstNs {
		c.firstNs = now
	}
	if now > c.lastNs {
		c.lastNs = now
	}
	if f.off == 0 && !c.haveFirst {
		c.haveFirst = true
		c.proto = f.proto // IPv6: the offset-0 fragment's Next Header is the one used
	}
	newLast := f.last && !c.haveLast
	if newLast {
		c.haveLast = true
		c.end = f.end
	}
	if c.dead != ReasonNone {
		return Result{}, nil
	}
	if c.nfrag > r.cfg.MaxFragments {
		r.abandon(c, ReasonTooManyFragments, &r.stats.TooMany)
		return Result{}, nil
	}
	if f.shortChain {
		r.abandon(c, ReasonShortChain, &r.stats.ShortChain)
		return Result{}, nil
	}
	if f.trunc {
		r.abandon(c, ReasonTruncated, &r.stats.Truncated)
		return Result{}, nil
	}

	s, e := f.off, f.end
	over := false
	switch {
	case newLast:
		over = r.trimTo(c, e) // data held beyond the end: dropped, first MF=0 wins
	case f.last && e != c.end:
		over = true // a second, different, last fragment (IPv6; IPv4 took it for another datagram, reused)
	}
	if e > c.end && c.haveLast {
		over = true
		e = c.end
	}
	if !over && overlaps(c.cover, s, e) {
		over = true
	}
	if over && r.overlap(c) {
		return Result{Overlap: true}, nil
	}
	if s < e {
		r.store(c, s, e, f.payload)
	}
	if f.off == 0 && !c.haveHdr {
		c.haveHdr = true
		c.hdr = append(c.hdr[:0], f.hdr...)
		c.nhOff = f.nhOff
	}
	if !c.haveHdr || !c.haveLast || c.have != c.end {
		return Result{Overlap: over}, nil
	}
	if len(c.hdr)+int(c.end) > f.limit {
		r.stats.TooLong++
		r.abandon(c, ReasonTooLong, &r.stats.Oversize)
		return Result{Overlap: over}, ErrTooLong
	}
	res := r.complete(idx, d.Meta.Clock())
	res.Overlap = over
	return res, nil
}

// overlap counts an overlap on c and, for IPv6, abandons the datagram
// (RFC 5722); it reports whether c was abandoned.
func (r *Reassembler) overlap(c *ctx) bool {
	r.stats.Overlaps++
	if c.key.version == 6 {
		r.abandon(c, ReasonOverlap, &r.stats.Discarded)
		return true
	}
	return false
}

// reused reports whether IPv4 fragment f, of the key of context c in
// progress, belongs to another datagram that reuses the identification
// (RFC 4963 §2: at high rates the 16-bit identification wraps within the
// reassembly timeout; RFC 6864 §4): f has the offset, length and MF of a
// fragment c holds but other bytes (a copy holds the same ones; sig is
// the hash of f's payload), or f is a last fragment (MF=0) and c holds
// one with another end. Linux merges them into one datagram as long as
// fewer than ipfrag_max_dist (64) fragments from the source came in
// between (ip_frag_too_far, net/ipv4/ip_fragment.c, then restarts the
// queue). A passive monitor sees every fragment's bytes, not the
// receiver's traffic, so it tells the datagrams apart by their content
// instead: Add gives c up (ReasonReused) and f starts a new context.
// Partial overlaps keep the first-wins policy (other bytes at another
// offset is the evasion case, zeek's ipv4_fragmented-4), and an abandoned
// context absorbs f as before.
func (r *Reassembler) reused(c *ctx, f *frag, sig uint64) bool {
	if c.key.version != 4 || c.dead != ReasonNone || f.trunc {
		return false
	}
	if f.last && c.haveLast && f.end != c.end {
		return true
	}
	for _, fr := range c.frags {
		if fr.off == f.off && fr.end == f.end && fr.last == f.last {
			return fr.sig != sig
		}
	}
	return false
}

// abandon marks c dead: it keeps absorbing fragments until removed, and
// its buffers are no longer written.
func (r *Reassembler) abandon(c *ctx, why Reason, n *uint64) {
	c.dead = why
	*n++
}
