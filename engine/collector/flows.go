package collector

import (
	"cmp"
	"maps"
	"net/netip"
	"slices"
	"strconv"

	"github.com/tmonbench/tmonbench/engine/flow"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/rtt"
)

// cflow is what the collector keeps of one probe flow until it writes its
// row: the definition and the totals, without pointers (the garbage
// collector does not scan the flow map) and without strings (names and
// addresses are formatted when the row is built): 80 bytes a flow instead
// of a row and its strings. The 33-byte addresses come last, after the
// one-byte fields: placed before the 2-byte fields they padded it to 88
// bytes (1.5 MB more for the 5M corpus's 197 k flows, issue 14).
type cflow struct {
	firstNs, lastNs    int64
	packets, bytes     uint64
	iface, class       uint16 // class: index+1 into Collector.classNames; 0: no definition yet
	sport, dport, vlan uint16
	fields, ver, proto uint8
	dscp, folded       uint8 // folded: FoldedPorts, and flowEnded
	addrs              flow.AddrPair
}

// flowEnded is set in cflow.folded, above the folded-ports bits, while
// the flow is listed in Collector.ended; a definition's own bit 7 (not a
// folded port: a probe's mistake) is dropped, or the flow would never be
// listed.
const flowEnded = 0x80

// markEnded lists flow k, held at f, as ended (written at the next
// Drain), once.
func (c *Collector) markEnded(k flowKey, f *cflow) {
	if f.folded&flowEnded == 0 {
		f.folded |= flowEnded
		if len(c.ended) == cap(c.ended) {
			// Doubling: the end of a probe's run ends its every flow
			// at once (197 k on the 5M corpus), and append's growth by
			// a quarter copied them over and over.
			c.ended = slices.Grow(c.ended, max(len(c.ended), 1024))
		}
		c.ended = append(c.ended, k)
	}
}

// define records the flow's definition.
func (f *cflow) define(c *Collector, r *pdu.FlowDef) {
	f.firstNs, f.lastNs = r.FirstSeenNs, max(f.lastNs, r.FirstSeenNs)
	f.iface, f.class = r.Iface, c.classIndex(r.Class)
	f.sport, f.dport, f.vlan = r.SrcPort, r.DstPort, r.VLAN
	f.fields, f.ver, f.proto, f.dscp, f.folded = r.Fields, r.IPVersion, r.Protocol, r.DSCP, r.FoldedPorts&^flowEnded|f.folded&flowEnded
	f.addrs = flow.PackAddrs(r.SrcAddr, r.DstAddr)
}

// def rebuilds the flow's definition.
func (f *cflow) def(c *Collector, id uint64) pdu.FlowDef {
	return pdu.FlowDef{FlowID: id, Iface: f.iface, Class: c.className(f.class), Fields: f.fields, IPVersion: f.ver, Protocol: f.proto,
		SrcAddr: f.addrs.Src(), DstAddr: f.addrs.Dst(),
		SrcPort: f.sport, DstPort: f.dport, DSCP: f.dscp, VLAN: f.vlan, FoldedPorts: f.folded &^ flowEnded, FirstSeenNs: f.firstNs}
}

// ownSample makes a decoded RTT sample probe p's (name, flow id past the
// base), and gives one whose record did not say its proto (a dns sample
// of a probe of wire version 3 or 4, over UDP or TCP: rtt.DecodeSample)
// its flow's transport when the flow's class splits flows by protocol and
// its definition has come; otherwise the proto stays "" (unknown,
// rtt_samples.proto), never a made-up udp.
func (c *Collector) ownSample(p *probeState, r *observe.RTTSample) {
	r.Probe, r.FlowID = p.label(), r.FlowID+c.base
	if r.Proto != "" {
		return
	}
	if f := c.flows.Ptr(flowKey{p.id, r.FlowID}); f != nil && f.class != 0 && f.fields&pdu.FieldProtocol != 0 {
		r.Proto = rtt.ProtoName(f.proto)
	}
}

// classIndex interns a class name.
func (c *Collector) classIndex(name string) uint16 {
	for i, n := range c.classNames {
		if n == name {
			return uint16(i + 1)
		}
	}
	c.classNames = append(c.classNames, name)
	return uint16(len(c.classNames))
}

func (c *Collector) className(i uint16) string {
	if i == 0 || int(i) > len(c.classNames) {
		return ""
	}
	return c.classNames[i-1]
}

// flowRow builds the flows row of flow k.
func (c *Collector) flowRow(k flowKey, f *cflow) observe.Flow {
	p := c.probe(k.probe)
	if f.class == 0 { // totals without a definition
		return observe.Flow{FlowID: k.id, Probe: p.label(), LastSeen: f.lastNs, Packets: f.packets, Bytes: f.bytes}
	}
	d := f.def(c, k.id)
	src, dst := c.arena.Addr(d.SrcAddr), c.arena.Addr(d.DstAddr)
	c.nameBuf = appendFlowName(c.nameBuf[:0], &d, src, dst)
	return observe.Flow{
		FlowID: k.id, Probe: p.label(), Interface: p.ifaceLabel(f.iface), Class: d.Class, Name: string(c.nameBuf),
		IPVersion: d.IPVersion, Protocol: d.Protocol, SrcAddr: src, DstAddr: dst,
		SrcPort: d.SrcPort, DstPort: d.DstPort, FirstSeen: f.firstNs, LastSeen: f.lastNs, Packets: f.packets, Bytes: f.bytes,
	}
}

// FlowName returns the readable name of a flow (design 7), e.g.
// "10.0.0.1:high>10.0.0.2:161/udp" or "[2001:db8::1]:53>[2001:db8::2]:33000/udp";
// fields the class does not split by are written "*".
func FlowName(r *pdu.FlowDef) string { return string(AppendFlowName(nil, r)) }

// AppendFlowName appends FlowName(r) to b: the rows of a drain build
// their names in one buffer, one allocation per name (the string) where
// the concatenations made six (issue 14).
func AppendFlowName(b []byte, r *pdu.FlowDef) []byte { return appendFlowName(b, r, "", "") }

// appendFlowName is AppendFlowName given the texts of r's addresses
// (netip.Addr.String, as the flows row has them; "": formatted here).
func appendFlowName(b []byte, r *pdu.FlowDef, srcText, dstText string) []byte {
	addr := func(a netip.Addr, text string) {
		if text != "" {
			b = append(b, text...)
		} else {
			b = a.AppendTo(b)
		}
	}
	end := func(a netip.Addr, text string, port uint16, hasAddr, hasPort, folded bool) {
		switch {
		case !hasAddr:
			b = append(b, '*')
		case a.Is6() && hasPort:
			b = append(b, '[')
			addr(a, text)
			b = append(b, ']')
		default:
			addr(a, text)
		}
		if hasPort {
			b = append(b, ':')
			if folded {
				b = append(b, "high"...)
			} else {
				b = strconv.AppendUint(b, uint64(port), 10)
			}
		}
	}
	ports := r.Protocol == 6 || r.Protocol == 17 || r.Protocol == 132 || r.Fields&pdu.FieldProtocol == 0
	end(r.SrcAddr, srcText, r.SrcPort, r.Fields&pdu.FieldSrcAddr != 0 && r.SrcAddr.IsValid(), ports && r.Fields&pdu.FieldSrcPort != 0, r.FoldedPorts&1 != 0)
	b = append(b, '>')
	end(r.DstAddr, dstText, r.DstPort, r.Fields&pdu.FieldDstAddr != 0 && r.DstAddr.IsValid(), ports && r.Fields&pdu.FieldDstPort != 0, r.FoldedPorts&2 != 0)
	if r.Fields&pdu.FieldProtocol != 0 {
		b = append(b, '/')
		b = append(b, observe.ProtocolName(r.Protocol)...)
	}
	if r.Fields&pdu.FieldDSCP != 0 {
		b = append(b, " dscp "...)
		b = strconv.AppendUint(b, uint64(r.DSCP), 10)
	}
	if r.Fields&pdu.FieldVLAN != 0 {
		b = append(b, " vlan "...)
		b = strconv.AppendUint(b, uint64(r.VLAN), 10)
	}
	return b
}

// ifaceName is interface i of probe p as rows name it: its name in the
// probe's Hello, else unnamedIface(i).
func ifaceName(p *probeState, i uint16) string {
	if int(i) < len(p.ifaces) {
		return p.ifaces[i]
	}
	return unnamedIface(int(i))
}

// unnamedIface names interface index i that the probe's Hello does not
// name (pdu.Hello.Fit left it out): "if" and the index, as a replay names
// an interface its capture gives no name (pipeline.Assign), so that the
// same capture gives the same interface names in a replay and through
// probe and collector processes.
func unnamedIface(i int) string { return "if" + strconv.Itoa(i) }

// FlushFlows writes the row of every flow still held, sorted by probe and
// flow id, through write in batches of at most chunk rows, and forgets
// them: the final flows table is streamed, never held whole. write takes
// a filled batch and returns the batch to fill next: the same one once
// written (write must not keep it then), or another one it is done with
// (a writer that encodes batches in a goroutine of its own keeps b and
// returns the one before it, or a new empty one the first time), so that
// the next rows are built while b is written. Later updates of those
// flows would make new rows: call it once the probes are done, before
// Finish (whose batch then has no flows but those of late definitions).
func (c *Collector) FlushFlows(chunk int, write func(*observe.Batch) (*observe.Batch, error)) error {
	c.endRuns() // the runs that did not finish leave out their flows without totals
	keys := make([]flowKey, 0, c.flows.Len())
	for k := range c.flows.All {
		keys = append(keys, k)
	}
	c.names = map[string]string{}
	defer func() { c.names = nil }()
	// Probes by name, as ranks: the sort compares integers, not strings
	// looked up per comparison.
	names := map[uint16]string{}
	for i, k := range keys {
		if i > 0 && k.probe == keys[i-1].probe {
			continue // keys come by probe: a lookup per probe, not per flow
		}
		if _, ok := names[k.probe]; !ok {
			names[k.probe] = c.name(c.probe(k.probe).label())
		}
	}
	byName := slices.SortedFunc(maps.Keys(names), func(a, b uint16) int { return cmp.Or(cmp.Compare(names[a], names[b]), cmp.Compare(a, b)) })
	rank := make(map[uint16]uint16, len(byName))
	for i, p := range byName {
		rank[p] = uint16(i)
	}
	from, to := uint16(0), uint16(0) // the last probe ranked: keys come by probe
	for i := range keys {            // sort (rank, id), then put the probes back
		if i == 0 || keys[i].probe != from {
			from, to = keys[i].probe, rank[keys[i].probe]
		}
		keys[i].probe = to
	}
	slices.SortFunc(keys, func(x, y flowKey) int { return cmp.Or(cmp.Compare(x.probe, y.probe), cmp.Compare(x.id, y.id)) })
	for i := range keys {
		keys[i].probe = byName[keys[i].probe]
	}
	b := &observe.Batch{}
	for i, k := range keys {
		if len(b.Flows) == 0 && cap(b.Flows) < min(chunk, len(keys)-i) {
			b.Flows = make([]observe.Flow, 0, min(chunk, len(keys)-i))
		}
		f, _ := c.flows.Get(k)
		r := c.flowRow(k, &f)
		r.Probe, r.Interface = c.name(r.Probe), c.name(r.Interface)
		b.Flows = append(b.Flows, r)
		c.flows.Delete(k)
		if len(b.Flows) == chunk || i == len(keys)-1 {
			next, err := write(b)
			if err != nil {
				return err
			}
			b = next
			clear(b.Flows)
			b.Flows = b.Flows[:0]
		}
	}
	return nil
}
