package oneway

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"

	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// Obs is one per-packet observation at one capture point (design 1.2,
// 4.3): which flow, which packet (signature and size), when. It is what a
// probe sends in TypePacketObs PDUs and what the reconciler matches.
type Obs struct {
	// FlowID is the flow the packet belongs to: the probe's flow id
	// (pdu.FlowDef.FlowID) on the wire; the collector maps it to its
	// one-way flow.
	FlowID uint64
	// Signature is the packet signature (Signer.Sign), signature_bits wide.
	Signature uint64
	// TimeNs is the capture time in Unix ns: of the packet, or of the last
	// fragment of a reassembled datagram (design 3.8). After a round trip
	// through the encoding it is a whole number of microseconds (floor).
	TimeNs int64
	// FirstNs is the capture time of the first fragment of a reassembled
	// datagram (design 3.8), or TimeNs. Encoder.Add sets it to TimeNs when
	// zero or later than TimeNs.
	FirstNs int64
	// SizeBytes is the IP datagram length (total length; reassembled
	// length for a datagram), 0 when unknown.
	SizeBytes uint32
}

// Size modes of a record (bits 6-7 of its first flags byte).
const (
	sizeNone     = 0 // no sizes
	sizeConst    = 1 // every observation has the header's size
	sizeCoded    = 2 // exp-Golomb(size - min) per observation
	sizeRepeat   = 3 // 1 bit "same as previous", else 1 + exp-Golomb(size - min)
	maxK         = 31
	defaultBytes = 1400 - pdu.HeaderLen - pdu.TrailerLen
)

// EncoderConfig sets the signature width and the PDU space of an Encoder.
type EncoderConfig struct {
	// SignatureBits is the width of the signatures written, 16..64
	// (signatures are cut to it). Default 32.
	SignatureBits int
	// MaxPayload is the payload bytes of one PDU (frame minus
	// pdu.HeaderLen and pdu.TrailerLen): Add reports full when the
	// buffered observations are estimated to fill it. Default 1374 (the
	// 1400-byte PDUs of pdu.DefaultSenderConfig).
	MaxPayload int
	// TimeUnitNs is the finest time unit the records carry: 1 (the
	// default: the capture's own resolution, ns when the file has it), 10,
	// 100 or 1000 (whole µs). Each record uses the coarsest unit in which
	// all its times are whole, down to this one: a capture stamped in µs
	// costs no more with 1 than with 1000, while one with real nanosecond
	// digits pays about 10 bits per observation for them (the lab's
	// oneway-udp flow at 16-bit signatures: 0.79 % -> 1.04 % at A).
	TimeUnitNs int
}

// EncoderStats counts what an Encoder wrote; every counter only grows.
type EncoderStats struct {
	Observations  uint64 // observations written to records
	Records       uint64 // records (per-flow blocks) written
	Bytes         uint64 // record bytes written
	ObservedBytes uint64 // SizeBytes of the observations written (the observed traffic)
}

// Encoder packs observations into the compact records of TypePacketObs
// PDUs (design 1.3; bit layout in doc.go). It buffers the observations of
// one PDU, as the best coding parameters of a block are known only once
// its observations are; Flush writes one record per flow, each decodable
// on its own. Not safe for concurrent use; Add and Flush do not allocate
// once the buffers have grown to a PDU's worth.
type Encoder struct {
	finest uint8 // index in units of the finest unit records may use
	bits   uint
	keep   uint64
	max    int
	buf    []Obs
	estB   int // bytes of the last flush ...
	estN   int // ... for this many observations
	order  []int32
	gaps   []int64
	sorted []int64
	vals   []uint64
	spans  []uint64
	w      bitWriter
	Stats  EncoderStats
}

// NewEncoder returns an Encoder. It returns an error wrapping ErrConfig
// for a signature width outside 16..64 or a MaxPayload below 64 bytes.
func NewEncoder(cfg EncoderConfig) (*Encoder, error) {
	if cfg.SignatureBits == 0 {
		cfg.SignatureBits = 32
	}
	if cfg.MaxPayload == 0 {
		cfg.MaxPayload = defaultBytes
	}
	if cfg.SignatureBits < 16 || cfg.SignatureBits > 64 {
		return nil, fmt.Errorf("%w: signature_bits must be between 16 and 64, got %d", ErrConfig, cfg.SignatureBits)
	}
	if cfg.MaxPayload < 64 {
		return nil, fmt.Errorf("%w: MaxPayload must be at least 64 bytes, got %d", ErrConfig, cfg.MaxPayload)
	}
	finest := uint8(len(units) - 1)
	if cfg.TimeUnitNs != 0 {
		i := slices.Index(units[:], int64(cfg.TimeUnitNs))
		if i < 0 {
			return nil, fmt.Errorf("%w: time_unit_ns must be 1, 10, 100 or 1000, got %d", ErrConfig, cfg.TimeUnitNs)
		}
		finest = uint8(i)
	}
	keep := ^uint64(0)
	if cfg.SignatureBits < 64 {
		keep = 1<<cfg.SignatureBits - 1
	}
	// initial estimate: signature + 2 bytes per observation
	return &Encoder{bits: uint(cfg.SignatureBits), keep: keep, max: cfg.MaxPayload, finest: finest, estB: cfg.SignatureBits/8 + 2, estN: 1}, nil
}

// Add buffers one observation (copied). It returns true when the buffered
// observations are estimated to fill a PDU: the caller should then Flush
// them into a PDU and send it. Observations keep their order within a
// flow; a block's times are coded as gaps, so capture order is cheapest.
func (e *Encoder) Add(o *Obs) (full bool) {
	x := *o
	x.Signature &= e.keep
	if x.FirstNs == 0 || x.FirstNs > x.TimeNs {
		x.FirstNs = x.TimeNs
	}
	e.buf = append(e.buf, x)
	return 16+len(e.buf)*e.estB/e.estN >= e.max
}

// Len returns the number of buffered observations.
func (e *Encoder) Len() int { return len(e.buf) }

// OldestNs returns the capture time of the first buffered observation
// (0 when none): the probe flushes a PDU that has waited long enough.
func (e *Encoder) OldestNs() int64 {
	if len(e.buf) == 0 {
		return 0
	}
	return e.buf[0].TimeNs
}

// Flush appends to dst records holding as many buffered observations (in
// arrival order) as fit in maxPayload bytes of dst.B (what dst already
// holds included; 0 means the configured MaxPayload), one record per flow.
// The rest stays buffered for the next PDU. It returns the number of
// observations written.
func (e *Encoder) Flush(dst *pdu.Enc, maxPayload int) int {
	if maxPayload == 0 {
		maxPayload = e.max
	}
	budget := maxPayload - len(dst.B)
	m := len(e.buf)
	if budget <= 0 || m == 0 {
		return 0
	}
	size := e.encode(nil, m)
	for size > budget {
		next := int(int64(m) * int64(budget) / int64(size))
		if next >= m {
			next = m - 1
		}
		if m = next; m == 0 {
			return 0
		}
		size = e.encode(nil, m)
	}
	start := len(dst.B)
	e.encode(dst, m)
	written := len(dst.B) - start
	e.estB, e.estN = written, m
	for _, o := range e.buf[:m] {
		e.Stats.ObservedBytes += uint64(o.SizeBytes)
	}
	e.Stats.Observations += uint64(m)
	e.Stats.Bytes += uint64(written)
	e.buf = e.buf[:copy(e.buf, e.buf[m:])]
	return m
}

// encode writes (dst != nil) or measures the records of the first m
// buffered observations, one per flow, and returns their size in bytes.
func (e *Encoder) encode(dst *pdu.Enc, m int) int {
	e.order = e.order[:0]
	same := true
	for i := range m {
		e.order = append(e.order, int32(i))
		same = same && e.buf[i].FlowID == e.buf[0].FlowID
	}
	if !same {
		slices.SortStableFunc(e.order, func(a, b int32) int {
			fa, fb := e.buf[a].FlowID, e.buf[b].FlowID
			switch {
			case fa < fb:
				return -1
			case fa > fb:
				return 1
			}
			return 0
		})
	}
	total := 0
	for i := 0; i < len(e.order); {
		j := i + 1
		for j < len(e.order) && e.buf[e.order[j]].FlowID == e.buf[e.order[i]].FlowID {
			j++
		}
		total += e.block(dst, e.order[i:j])
		i = j
	}
	return total
}

// plan holds the coding parameters of one block.
type plan struct {
	unit     uint8 // index in units
	period   int64
	kTime    uint
	spans    bool
	kSpan    uint
	mode     uint8
	sizeBase uint32
	kSize    uint
}

// floorUnit is t in whole units of u ns, rounded down.
func floorUnit(t, u int64) int64 {
	q := t / u
	if t%u < 0 {
		q--
	}
	return q
}

// units are the time units a record may use, in ns: its code is the
// index (record header bits 6-7 of the second byte).
var units = [4]int64{1000, 100, 10, 1}

// blockUnit returns the code of the coarsest unit (1 µs down to the
// finest allowed) in which every time of the observations idx is whole: a
// capture stamped in µs keeps µs records, one stamped in ns sends ns
// (times are floored to the finest unit allowed).
func (e *Encoder) blockUnit(idx []int32) uint8 {
	u := uint8(0)
	for _, i := range idx {
		o := &e.buf[i]
		for u < e.finest && (o.TimeNs%units[u] != 0 || o.FirstNs%units[u] != 0) {
			u++
		}
		if u == e.finest {
			break
		}
	}
	return u
}

// block plans the record of one flow's observations idx, writes it when
// dst is not nil, and returns its size in bytes.
func (e *Encoder) block(dst *pdu.Enc, idx []int32) int {
	n := len(idx)
	var p plan
	p.unit = e.blockUnit(idx)
	u := units[p.unit]
	// times: gaps between consecutive observations, minus the median gap
	e.gaps, e.sorted, e.vals, e.spans = e.gaps[:0], e.sorted[:0], e.vals[:0], e.spans[:0]
	prev := floorUnit(e.buf[idx[0]].TimeNs, u)
	base := prev
	for _, i := range idx[1:] {
		t := floorUnit(e.buf[i].TimeNs, u)
		e.gaps = append(e.gaps, t-prev)
		prev = t
	}
	var nbits uint64
	if n > 1 {
		e.sorted = append(e.sorted, e.gaps...)
		slices.Sort(e.sorted)
		p.period = e.sorted[len(e.sorted)/2]
		for _, g := range e.gaps {
			e.vals = append(e.vals, zigzag(g-p.period))
		}
		var c uint64
		p.kTime, c = bestK(e.vals)
		nbits += c
	}
	// fragment spans
	for _, i := range idx {
		s := uint64(floorUnit(e.buf[i].TimeNs, u) - floorUnit(e.buf[i].FirstNs, u))
		e.spans = append(e.spans, s)
		p.spans = p.spans || s != 0
	}
	if p.spans {
		var c uint64
		p.kSpan, c = bestK(e.spans)
		nbits += c
	}
	// sizes: the cheapest of none, constant, coded, repeat
	lo, hi := e.buf[idx[0]].SizeBytes, e.buf[idx[0]].SizeBytes
	for _, i := range idx {
		lo, hi = min(lo, e.buf[i].SizeBytes), max(hi, e.buf[i].SizeBytes)
	}
	switch {
	case hi == 0:
		p.mode = sizeNone
	case lo == hi:
		p.mode, p.sizeBase = sizeConst, lo
	default:
		p.sizeBase = lo
		e.vals = e.vals[:0]
		for _, i := range idx {
			e.vals = append(e.vals, uint64(e.buf[i].SizeBytes-lo))
		}
		kc, coded := bestK(e.vals)
		e.vals = e.vals[:0]
		last := lo
		for _, i := range idx {
			if s := e.buf[i].SizeBytes; s != last {
				e.vals = append(e.vals, uint64(s-lo))
				last = s
			}
		}
		kr, rep := bestK(e.vals)
		rep += uint64(n)
		if coded <= rep {
			p.mode, p.kSize = sizeCoded, kc
			nbits += coded
		} else {
			p.mode, p.kSize = sizeRepeat, kr
			nbits += rep
		}
	}
	nbits += uint64(n) * uint64(e.bits)
	flow := e.buf[idx[0]].FlowID
	hdr := uvarintLen(flow) + uvarintLen(uint64(n)) + 2 + uvarintLen(uint64(base))
	if n > 1 {
		hdr += uvarintLen(zigzag(p.period))
	}
	if p.spans {
		hdr++
	}
	switch p.mode {
	case sizeConst:
		hdr += uvarintLen(uint64(p.sizeBase))
	case sizeCoded, sizeRepeat:
		hdr += uvarintLen(uint64(p.sizeBase)) + 1
	}
	size := hdr + int((nbits+7)/8)
	if dst == nil {
		return size
	}
	e.write(dst, idx, &p, base)
	e.Stats.Records++
	return size
}

// write appends the record of observations idx coded with p.
func (e *Encoder) write(dst *pdu.Enc, idx []int32, p *plan, base int64) {
	n := len(idx)
	dst.ID(pdu.IDFlow, e.buf[idx[0]].FlowID)
	dst.Uvarint(uint64(n))
	dst.Byte(byte(e.bits-1) | p.mode<<6)
	var spans byte
	if p.spans {
		spans = 1 << 5
	}
	dst.Byte(byte(p.kTime) | spans | p.unit<<6)
	dst.Uvarint(uint64(base))
	if n > 1 {
		dst.Varint(p.period)
	}
	if p.spans {
		dst.Byte(byte(p.kSpan))
	}
	switch p.mode {
	case sizeConst:
		dst.Uvarint(uint64(p.sizeBase))
	case sizeCoded, sizeRepeat:
		dst.Uvarint(uint64(p.sizeBase))
		dst.Byte(byte(p.kSize))
	}
	w := &e.w
	w.b, w.acc, w.n = dst.B, 0, 0
	prev := base
	last := p.sizeBase
	u := units[p.unit]
	for j, i := range idx {
		o := &e.buf[i]
		t := floorUnit(o.TimeNs, u)
		if j > 0 {
			w.expGolomb(zigzag(t-prev-p.period), p.kTime)
		}
		prev = t
		w.write(o.Signature, e.bits)
		if p.spans {
			w.expGolomb(uint64(t-floorUnit(o.FirstNs, u)), p.kSpan)
		}
		switch p.mode {
		case sizeCoded:
			w.expGolomb(uint64(o.SizeBytes-p.sizeBase), p.kSize)
		case sizeRepeat:
			if o.SizeBytes == last {
				w.write(0, 1)
			} else {
				w.write(1, 1)
				w.expGolomb(uint64(o.SizeBytes-p.sizeBase), p.kSize)
				last = o.SizeBytes
			}
		}
	}
	w.pad()
	dst.B = w.b
	w.b = nil
}

// bestK returns the exponential-Golomb order (0..maxK) that codes vals in
// the fewest bits, and that number of bits. The order is chosen on the
// values' bit lengths (a code of order k costs k+1 bits below 2^k and
// about 2b-1-k bits for b significant bits), then the cost is exact.
func bestK(vals []uint64) (uint, uint64) {
	if len(vals) == 0 {
		return 0, 0
	}
	var hist [65]uint64
	for _, v := range vals {
		hist[bits.Len64(v)]++
	}
	best, bestCost := uint(0), ^uint64(0)
	for k := uint(0); k <= maxK; k++ {
		var c uint64
		for b, cnt := range hist {
			if cnt == 0 {
				continue
			}
			if uint(b) <= k {
				c += cnt * uint64(k+1)
			} else {
				c += cnt * uint64(2*uint(b)-1-k)
			}
		}
		if c < bestCost {
			best, bestCost = k, c
		}
	}
	var exact uint64
	for _, v := range vals {
		exact += egLen(v, best)
	}
	return best, exact
}

func uvarintLen(v uint64) int { return (bits.Len64(v|1) + 6) / 7 }

// DecodeRecord decodes the packet observation record at the head of b,
// calling fn for each observation (o is reused: copy what you keep), and
// returns the bytes after it. Times are whole microseconds in ns. It
// returns pdu.ErrShort or pdu.ErrCorrupt for a damaged record; it never
// panics, and allocates only the Obs it hands to fn (once per record).
func DecodeRecord(b []byte, fn func(o *Obs)) (rest []byte, err error) {
	uv := func() (uint64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	flow, ok1 := uv()
	n, ok2 := uv()
	if !ok1 || !ok2 || len(b) < 2 {
		return nil, pdu.ErrShort
	}
	f0, f1 := b[0], b[1]
	b = b[2:]
	sigBits := uint(f0&63) + 1
	mode := f0 >> 6
	kTime := uint(f1 & 31)
	spans := f1&(1<<5) != 0
	if n == 0 {
		return nil, pdu.ErrCorrupt
	}
	unit := units[f1>>6]
	base, ok := uv()
	if !ok {
		return nil, pdu.ErrShort
	}
	var period int64
	if n > 1 {
		v, m := binary.Varint(b)
		if m <= 0 {
			return nil, pdu.ErrShort
		}
		b, period = b[m:], v
	}
	var kSpan, kSize uint
	var sizeBase uint64
	if spans {
		if len(b) < 1 {
			return nil, pdu.ErrShort
		}
		kSpan, b = uint(b[0]), b[1:]
	}
	if mode != sizeNone {
		if sizeBase, ok = uv(); !ok {
			return nil, pdu.ErrShort
		}
		if mode != sizeConst {
			if len(b) < 1 {
				return nil, pdu.ErrShort
			}
			kSize, b = uint(b[0]), b[1:]
		}
	}
	if kSpan > maxK || kSize > maxK || sizeBase > 1<<32-1 {
		return nil, pdu.ErrCorrupt
	}
	if n > uint64(len(b))*8/uint64(sigBits) {
		return nil, pdu.ErrShort // every observation holds a signature
	}
	r := bitReader{b: b}
	var o Obs
	o.FlowID = flow
	t := int64(base)
	last := uint32(sizeBase)
	for j := uint64(0); j < n; j++ {
		if j > 0 {
			v, ok := r.expGolomb(kTime)
			if !ok {
				return nil, pdu.ErrCorrupt
			}
			t += unzigzag(v) + period
		}
		sig, ok := r.read(sigBits)
		if !ok {
			return nil, pdu.ErrShort
		}
		o.Signature = sig
		o.TimeNs = t * unit
		o.FirstNs = o.TimeNs
		if spans {
			s, ok := r.expGolomb(kSpan)
			if !ok {
				return nil, pdu.ErrCorrupt
			}
			o.FirstNs = (t - int64(s)) * unit
		}
		switch mode {
		case sizeNone:
			o.SizeBytes = 0
		case sizeConst:
			o.SizeBytes = uint32(sizeBase)
		case sizeCoded:
			v, ok := r.expGolomb(kSize)
			if !ok {
				return nil, pdu.ErrCorrupt
			}
			o.SizeBytes = uint32(sizeBase + v)
		case sizeRepeat:
			flag, ok := r.read(1)
			if !ok {
				return nil, pdu.ErrShort
			}
			if flag == 1 {
				v, ok := r.expGolomb(kSize)
				if !ok {
					return nil, pdu.ErrCorrupt
				}
				last = uint32(sizeBase + v)
			}
			o.SizeBytes = last
		}
		fn(&o)
	}
	return b[(r.pos+7)/8:], nil
}

// Decode decodes every record of a TypePacketObs PDU payload, calling fn
// for each observation (o is reused: copy what you keep). It stops at the
// first damaged record with pdu.ErrShort or pdu.ErrCorrupt (observations
// before it were delivered).
func Decode(payload []byte, fn func(o *Obs)) error {
	for len(payload) > 0 {
		var err error
		if payload, err = DecodeRecord(payload, fn); err != nil {
			return err
		}
	}
	return nil
}

// Dropped tells the collector that observations of one flow at one
// capture point will never arrive: the probe gave up the PDU that held
// them (design 4.3: "the probe would have already dropped it from its PDU
// retry queue"). The reconciler then classifies the packets it would have
// matched as dropped, not lost or missed.
type Dropped struct {
	FlowID  uint64 // the probe's flow id
	Count   uint64 // observations given up
	FirstNs int64  // capture time of the earliest, Unix ns
	LastNs  int64  // capture time of the latest, Unix ns
}

// AppendDropped encodes x (flow id, count, first time, span to the last).
func AppendDropped(e *pdu.Enc, x *Dropped) {
	e.ID(pdu.IDFlow, x.FlowID)
	e.Uvarint(x.Count)
	e.Varint(x.FirstNs)
	e.Varint(x.LastNs - x.FirstNs)
}

// DecodeDropped decodes a Dropped written by AppendDropped; errors are
// left in d (d.Err()).
func DecodeDropped(d *pdu.Dec, x *Dropped) {
	x.FlowID = d.Uvarint()
	x.Count = d.Uvarint()
	x.FirstNs = d.Varint()
	x.LastNs = pkt.AddNs(x.FirstNs, d.Varint())
}

// Summarize reports, for each record of a TypePacketObs payload, the
// Dropped that declares its observations lost by the probe: what the
// transport sends when it gives that PDU up. Errors as Decode.
func Summarize(payload []byte, fn func(*Dropped)) error {
	var x Dropped
	for len(payload) > 0 {
		x = Dropped{}
		var err error
		payload, err = DecodeRecord(payload, func(o *Obs) {
			if x.Count == 0 || o.FirstNs < x.FirstNs {
				x.FirstNs = o.FirstNs
			}
			if x.Count == 0 || o.TimeNs > x.LastNs {
				x.LastNs = o.TimeNs
			}
			x.FlowID = o.FlowID
			x.Count++
		})
		if err != nil {
			return err
		}
		fn(&x)
	}
	return nil
}
