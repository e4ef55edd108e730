package main

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/gosnmp/gosnmp"
	"github.com/spf13/pflag"

	"github.com/tmonbench/tmonbench/engine/collector"
	"github.com/tmonbench/tmonbench/engine/observe"
)

// trapBase is the default OID arc of tmonbench's event traps: Net-SNMP's
// playpen (NET-SNMP-MIB::netSnmpPlaypen), the arc meant for experimental
// MIBs, until a registered enterprise number replaces it (--snmp-oid).
const trapBase = ".1.3.6.1.4.1.8072.9999.9999.5474"

// trapSink forwards every event row written to the output as an SNMPv2c
// trap to a manager (design 1.8), then hands the batch on. The trap OID
// is BASE.0.1; its variables BASE.1.1 kind, .1.2 severity, .1.3 source
// ("probe:NAME" or "collector"), .1.4 message, .1.5 time (RFC 3339, ns).
// A manager that cannot be reached costs nothing but the datagram.
type trapSink struct {
	observe.Sink
	snmp *gosnmp.GoSNMP
	base string
	sent uint64
	errs uint64
}

// newTrapSink prepares traps to addr (HOST:PORT, port 162 by default).
func newTrapSink(next observe.Sink, addr, community, base string) (*trapSink, error) {
	host, port := addr, uint16(162)
	if h, p, err := net.SplitHostPort(addr); err == nil {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("--snmp-trap %q: bad port", addr)
		}
		host, port = h, uint16(n)
	}
	g := &gosnmp.GoSNMP{Target: host, Port: port, Community: community, Version: gosnmp.Version2c, Timeout: 2 * time.Second, Retries: 0}
	if err := g.Connect(); err != nil {
		return nil, fmt.Errorf("--snmp-trap %s: %w", addr, err)
	}
	return &trapSink{Sink: next, snmp: g, base: base}, nil
}

// Write sends one trap per event of b and writes b.
func (t *trapSink) Write(b *observe.Batch) error {
	t.send(b)
	return t.Sink.Write(b)
}

// plannedTrapSink is a trapSink in front of a sink that plans its parts
// (the collector's journaled writes go through WritePlan, not Write).
type plannedTrapSink struct {
	*trapSink
	next collector.PlannedSink
}

// Plan is the next sink's.
func (p plannedTrapSink) Plan(b *observe.Batch) map[string]int { return p.next.Plan(b) }

// WritePlan sends one trap per event of b and writes b into plan. A write
// redone after a crash sends its traps again.
func (p plannedTrapSink) WritePlan(b *observe.Batch, plan map[string]int) error {
	p.send(b)
	return p.next.WritePlan(b, plan)
}

// send sends one trap per event of b.
func (t *trapSink) send(b *observe.Batch) {
	for _, e := range b.Events {
		vars := []gosnmp.SnmpPDU{
			{Name: ".1.3.6.1.6.3.1.1.4.1.0", Type: gosnmp.ObjectIdentifier, Value: t.base + ".0.1"}, // snmpTrapOID.0
			{Name: t.base + ".1.1", Type: gosnmp.OctetString, Value: e.Kind},
			{Name: t.base + ".1.2", Type: gosnmp.OctetString, Value: e.Severity},
			{Name: t.base + ".1.3", Type: gosnmp.OctetString, Value: e.Source},
			{Name: t.base + ".1.4", Type: gosnmp.OctetString, Value: e.Message},
			{Name: t.base + ".1.5", Type: gosnmp.OctetString, Value: time.Unix(0, e.Time).UTC().Format(time.RFC3339Nano)},
		}
		if _, err := t.snmp.SendTrap(gosnmp.SnmpTrap{Variables: vars}); err != nil {
			t.errs++
		} else {
			t.sent++
		}
	}
}

// close releases the trap sender; a nil t is a no-op.
func (t *trapSink) close() {
	if t != nil {
		t.snmp.Conn.Close()
	}
}

// trapFlags are the --snmp-trap flags of the commands that write event
// rows: live, and collector (which writes the events of its probes).
type trapFlags struct{ addr, community, oid *string }

// register adds --snmp-trap, --snmp-community and --snmp-oid to fs.
func (f *trapFlags) register(fs *pflag.FlagSet) {
	f.addr = fs.String("snmp-trap", "", "send every event as an SNMPv2c trap to the manager at `HOST[:PORT]` (design 1.8)")
	f.community = fs.String("snmp-community", "public", "SNMP `COMMUNITY` of the traps")
	f.oid = fs.String("snmp-oid", trapBase, "`OID` arc of the traps and their variables")
}

// open connects the trap sender of --snmp-trap: nil when the flag is not
// set. An address that cannot be parsed or resolved is an error.
func (f *trapFlags) open() (*trapSink, error) {
	if *f.addr == "" {
		return nil, nil
	}
	return newTrapSink(nil, *f.addr, *f.community, *f.oid)
}

// around puts t in front of next and returns the sink to write to: next
// itself when t is nil, a sink that plans its parts when next does.
func (t *trapSink) around(next observe.Sink) observe.Sink {
	if t == nil {
		return next
	}
	t.Sink = next
	if ps, ok := next.(collector.PlannedSink); ok {
		return plannedTrapSink{t, ps}
	}
	return t
}
