package pdu

// Publisher is what a probe writes its observations to: one Sender (one
// collector) or a Multi (several). Begin returns the encoder for one record
// of type t, End closes it; Tick advances probe time; Flush ends the input.
type Publisher interface {
	Begin(t Type, nowNs int64) *Enc
	End(t Type, nowNs int64)
	Tick(nowNs int64)
	Flush(nowNs int64)
	FlushType(t Type, nowNs int64)
}

var (
	_ Publisher = (*Sender)(nil)
	_ Publisher = (*Multi)(nil)
)

// Multi publishes the same observations to several collectors (design
// 1.2, 3.14): the probe encodes each record once, into Multi's scratch
// encoder, and End appends those bytes to every collector's PDU under
// construction. Each collector has its own Sender, so its own regulation
// (PDU size, build time, gap, retries), PDU ids, long retry mode and
// acknowledgements: wire each collector's link acks to Senders()[i]. A
// Multi is not safe for concurrent use.
type Multi struct {
	senders []*Sender
	rec     Enc
}

// NewMulti returns a Multi over senders, in collector order.
func NewMulti(senders ...*Sender) *Multi { return &Multi{senders: senders} }

// Senders returns the per-collector Senders (not a copy).
func (m *Multi) Senders() []*Sender { return m.senders }

// Begin returns the scratch encoder for one record of type t.
func (m *Multi) Begin(t Type, nowNs int64) *Enc {
	m.rec.B = m.rec.B[:0]
	return &m.rec
}

// End appends the record to every collector's PDU of type t.
func (m *Multi) End(t Type, nowNs int64) {
	rec := m.rec.B
	m.rec.B = nil // an event handler publishing from inside End gets its own buffer
	for _, s := range m.senders {
		s.AppendRecord(t, nowNs, rec)
	}
	if m.rec.B == nil {
		m.rec.B = rec[:0]
	}
}

// Tick advances every collector's channel.
func (m *Multi) Tick(nowNs int64) {
	for _, s := range m.senders {
		s.Tick(nowNs)
	}
}

// Flush flushes every collector's channel.
func (m *Multi) Flush(nowNs int64) {
	for _, s := range m.senders {
		s.Flush(nowNs)
	}
}

// Pending returns the PDUs waiting for acknowledgement, all collectors
// together.
func (m *Multi) Pending() int {
	n := 0
	for _, s := range m.senders {
		n += s.Pending()
	}
	return n
}

// FlushType builds and queues every collector's PDU of type t now.
func (m *Multi) FlushType(t Type, nowNs int64) {
	for _, s := range m.senders {
		s.FlushType(t, nowNs)
	}
}
