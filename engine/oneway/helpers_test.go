package oneway

import (
	"cmp"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testsamples"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/reasm"
	"github.com/tmonbench/tmonbench/replay"
)

// labPath returns a file of a lab scenario (a gzipped capture when that
// is how it is stored); the test fails when it is absent.
func labPath(t testing.TB, scenario, file string) string {
	t.Helper()
	return testsamples.Path(t, "lab", scenario, file)
}

// capPkt is one packet (or reassembled datagram) of the observed flow at
// one capture point: data owned, dissection, first-fragment time.
type capPkt struct {
	data    []byte
	d       dissect.Dissection
	firstNs int64
}

// loadPoint reads a capture with replay.Open, dissects every packet with
// dissect.New (reassembling fragments with engine/reasm, as the probe
// does: design 3.8) and keeps the packets pick selects.
func loadPoint(t testing.TB, path string, pick func(*dissect.Dissection) bool) []capPkt {
	t.Helper()
	f, err := replay.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dis := dissect.New()
	ra := reasm.New(reasm.DefaultConfig())
	var out []capPkt
	for {
		data, m, err := f.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var d dissect.Dissection
		if dis.Dissect(data, m, &d) != nil {
			continue
		}
		first := m.TimeNs
		if d.Fragment() {
			res, err := ra.Add(&d, data)
			if err != nil || !res.Complete {
				continue
			}
			data = res.Datagram
			first = res.FirstNs
			rm := pkt.Meta{TimeNs: res.LastNs, CapLen: uint32(len(data)), WireLen: uint32(len(data)), LinkType: pkt.LinkRaw, Iface: res.Iface, Frame: m.Frame}
			if dis.Dissect(data, rm, &d) != nil {
				t.Fatalf("reassembled datagram of frame %d does not dissect", m.Frame)
			}
		}
		if !pick(&d) {
			continue
		}
		c := capPkt{data: slices.Clone(data), firstNs: first}
		if dis.Dissect(c.data, d.Meta, &c.d) != nil {
			t.Fatal("redissect")
		}
		out = append(out, c)
	}
	return out
}

// udpTo picks UDP datagrams to dst:port.
func udpTo(dst string, port uint16) func(*dissect.Dissection) bool {
	return func(d *dissect.Dissection) bool {
		return d.Has(dissect.HasUDP) && d.DstPort == port && d.DstAddr.String() == dst
	}
}

// icmpType picks ICMP messages of one type.
func icmpType(typ uint8) func(*dissect.Dissection) bool {
	return func(d *dissect.Dissection) bool {
		return d.Has(dissect.HasICMP) && d.Protocol == dissect.ProtoICMP && d.ICMPType == typ
	}
}

// seqOf is the 8-byte big-endian sequence number starting the UDP payload
// of the lab's oneway-udp and frag senders.
func seqOf(c *capPkt) int64 {
	if len(c.d.Payload) < 8 {
		return -1
	}
	return int64(binary.BigEndian.Uint64(c.d.Payload))
}

// timeUnitNs is the EncoderConfig.TimeUnitNs of the simulated probes (0:
// the default, the capture's own ns).
var timeUnitNs int

// delayTolNs is the delay error the lab tests accept with timeUnitNs:
// none with the captures' own ns, under one unit otherwise.
func delayTolNs() int64 { return int64(max(timeUnitNs, 1)) }

// obsKey identifies an observation at one hop after the encoding round
// trip: time (ns, exact: records carry the capture's resolution) and
// signature.
type obsKey struct {
	ns  int64
	sig uint64
}

// pduOut is one PDU a simulated probe sent, or (resume set) a new run of
// that probe starting at the collector (Reconciler.Resume).
type pduOut struct {
	hop     int
	buildNs int64
	payload []byte
	resume  string
}

// probeRun is what a simulated probe produced for one capture point.
type probeRun struct {
	pdus     []pduOut
	obs      int
	frame    int              // PDU frame bytes (payload + header + CRC)
	observed int              // IP bytes of the observed packets
	tags     map[obsKey]int64 // truth tag (sequence) per observation
}

// runProbe does the probe's part for hop: sign each packet, encode the
// observations into TypePacketObs payloads of 1400-byte PDUs, flushing a
// PDU when the encoder is full or its oldest observation is 1 s old
// (pdu.DefaultSenderConfig's MaxBuildNs). tag gives each packet's truth
// key for the false-match checks.
func runProbe(t testing.TB, hop int, pkts []capPkt, bits int, mask Mask, tag func(*capPkt) int64) probeRun {
	return runProbeSized(t, hop, pkts, bits, mask, tag, true)
}

// runProbeSized is runProbe; sizes false leaves SizeBytes out (0).
func runProbeSized(t testing.TB, hop int, pkts []capPkt, bits int, mask Mask, tag func(*capPkt) int64, sizes bool) probeRun {
	t.Helper()
	s, err := NewSigner(bits, mask)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := NewEncoder(EncoderConfig{SignatureBits: bits, TimeUnitNs: timeUnitNs})
	if err != nil {
		t.Fatal(err)
	}
	maxPayload := pdu.DefaultSenderConfig().MaxPDUBytes - pdu.HeaderLen - pdu.TrailerLen
	run := probeRun{tags: map[obsKey]int64{}}
	flush := func(now int64) {
		var e pdu.Enc
		if enc.Flush(&e, maxPayload) == 0 {
			t.Fatal("flush wrote nothing")
		}
		run.pdus = append(run.pdus, pduOut{hop: hop, buildNs: now, payload: e.B})
		run.frame += len(e.B) + pdu.HeaderLen + pdu.TrailerLen
	}
	for i := range pkts {
		c := &pkts[i]
		now := c.d.Meta.TimeNs
		if enc.Len() > 0 && now-enc.OldestNs() >= 1e9 {
			flush(now)
		}
		sig, ok := s.Sign(&c.d, c.data)
		if !ok {
			t.Fatalf("packet %d not signed", i)
		}
		o := Obs{FlowID: 7, Signature: sig, TimeNs: now, FirstNs: c.firstNs, SizeBytes: c.d.IPLen}
		if !sizes {
			o.SizeBytes = 0
		}
		k := obsKey{now, sig}
		if _, dup := run.tags[k]; dup {
			t.Fatalf("hop %d: two packets with time %d ns and signature %x", hop, k.ns, sig)
		}
		run.tags[k] = tag(c)
		run.obs++
		run.observed += int(c.d.IPLen)
		if enc.Add(&o) {
			flush(now)
		}
	}
	for enc.Len() > 0 {
		flush(pkts[len(pkts)-1].d.Meta.TimeNs)
	}
	return run
}

// collected is what the simulated collector output.
type collected struct {
	packets []Packet // copies
	delays  []observe.OnewayDelay
	latency []observe.OnewayLatency
	loss    []observe.OnewayLoss
	stats   Stats
}

// runCollector feeds the PDUs of every hop, in build time order, to a
// Reconciler: decode each PDU's records, Observe them, Advance the hop
// to the PDU's build time; then Flush.
func runCollector(t testing.TB, cfg Config, lim Limits, runs ...probeRun) *collected {
	t.Helper()
	var all []pduOut
	for _, run := range runs {
		all = append(all, run.pdus...)
	}
	sortPDUs(all)
	return feedCollector(t, cfg, lim, all)
}

// feedCollector is runCollector's Reconciler fed the PDUs all in their
// order (a resume entry calls Resume).
func feedCollector(t testing.TB, cfg Config, lim Limits, all []pduOut) *collected {
	t.Helper()
	var c collected
	out := Output{
		Packet: func(p *Packet) {
			q := *p
			q.FirstNs, q.LastNs, q.Duplicates = slices.Clone(p.FirstNs), slices.Clone(p.LastNs), slices.Clone(p.Duplicates)
			c.packets = append(c.packets, q)
		},
		Delay: func(d *observe.OnewayDelay) {
			x := *d
			if d.SendTime != nil {
				v := *d.SendTime
				x.SendTime = &v
			}
			if d.RecvTime != nil {
				v := *d.RecvTime
				x.RecvTime = &v
			}
			if d.DelayUs != nil {
				v := *d.DelayUs
				x.DelayUs = &v
			}
			c.delays = append(c.delays, x)
		},
		Latency: func(l *observe.OnewayLatency) { c.latency = append(c.latency, *l) },
		Loss:    func(l *observe.OnewayLoss) { c.loss = append(c.loss, *l) },
	}
	r, err := New("test", cfg, lim, out)
	if err != nil {
		t.Fatal(err)
	}
	r.DefineFlow(1, "flow")
	for _, p := range all {
		if p.resume != "" {
			r.Resume(p.resume)
			continue
		}
		if err := Decode(p.payload, func(o *Obs) { r.Observe(p.hop, 1, o) }); err != nil {
			t.Fatal(err)
		}
		r.Advance(p.hop, p.buildNs)
	}
	r.Flush()
	c.stats = r.Stats()
	if r.Pending() != 0 {
		t.Fatalf("%d records pending after Flush", r.Pending())
	}
	return &c
}

// readCSV returns the rows of a CSV file as maps column -> value.
func readCSV(t testing.TB, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		rows = append(rows, m)
	}
	return rows
}

// ns parses a ground-truth time column; 0 when empty (not seen).
func ns(t testing.TB, s string) int64 {
	if s == "" {
		return 0
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustMask(t testing.TB, names ...string) Mask {
	m, err := ParseMask(names)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sortPDUs orders PDUs by build time (stable: hop order on ties).
func sortPDUs(all []pduOut) {
	slices.SortStableFunc(all, func(a, b pduOut) int { return cmp.Compare(a.buildNs, b.buildNs) })
}
