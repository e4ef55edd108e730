package main

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/gosnmp/gosnmp"

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
	return t.Sink.Write(b)
}

func (t *trapSink) close() { t.snmp.Conn.Close() }
