package probe_test

import (
	"path/filepath"
	"testing"
)

// TestIPv6TCPSnapLen68: an IPv6 TCP connection captured with tcpdump's old
// 68-byte snap length (14 bytes of each TCP header; written by pcapgen.py:
// handshake, 300 bytes from the client, FIN both ways) keeps its ports,
// flags and payload lengths, as tcpdump prints them ("2001:db8::90.40000
// > 2001:db8::91.80: [|tcp]"): flows 40000>80 and 80>40000 with tcp_syn 1
// and tcp_fin 1 each, l4_payload_bytes 300 from the client (its IP
// payload length minus the data offset), no zero window (the window was
// not captured). Before, every packet fell in a port-less flow without
// flags or payload.
func TestIPv6TCPSnapLen68(t *testing.T) {
	path, err := filepath.Abs("testdata/snap68-ipv6-tcp.pcap")
	if err != nil {
		t.Fatal(err)
	}
	b := runPath(t, "", path)
	for _, c := range []struct {
		sport, dport uint16
		packets      uint64
		payload      float64
	}{{40000, 80, 5, 300}, {80, 40000, 4, 0}} {
		f := flowByPorts(b, c.sport, c.dport)
		if f == nil {
			t.Errorf("no flow %d>%d", c.sport, c.dport)
			continue
		}
		_, syn := metric(b, f.FlowID, "tcp_syn")
		_, fin := metric(b, f.FlowID, "tcp_fin")
		_, pay := metric(b, f.FlowID, "l4_payload_bytes")
		zw, _ := metric(b, f.FlowID, "tcp_zero_window")
		if f.Packets != c.packets || syn != 1 || fin != 1 || pay != c.payload || zw != 0 {
			t.Errorf("flow %d>%d: packets %d tcp_syn %v tcp_fin %v l4_payload_bytes %v tcp_zero_window %d; want %d 1 1 %v 0",
				c.sport, c.dport, f.Packets, syn, fin, pay, zw, c.packets, c.payload)
		}
	}
	if len(b.TCPConnections) != 1 {
		t.Fatalf("%d TCP connections, want 1", len(b.TCPConnections))
	}
	if c := b.TCPConnections[0]; c.ClientPayloadBytes != 300 || c.ClientZeroWindows != 0 || c.ServerZeroWindows != 0 || c.ConnState != "SF" {
		t.Errorf("connection: client payload %d, zero windows %d/%d, state %s; want 300, 0/0, SF",
			c.ClientPayloadBytes, c.ClientZeroWindows, c.ServerZeroWindows, c.ConnState)
	}
}

// TestIPv6FragmentsDestOpts: IPv6 datagrams whose Fragmentable Part starts
// with a Destination Options header (RFC 8200 §4.1 order: Fragment, then
// Destination Options, then UDP), one in order and one last fragment
// first (testdata/frag6-destopts.pcap, written by pcapgen.py; tcpdump:
// "frag (0|64) DSTOPT 1053 > 53", "frag (64|52)"). RFC 8200 §4.5 keys
// fragments on addresses and identification: each datagram is one flow,
// 1053>53 and 1054>53, of 2 packets, ip_reassembled 1 and 100 bytes of
// UDP payload. Before, the non-first fragment's data was read as headers
// (protocol 97, the payload byte 'a') and the fragments, keyed on
// different protocols, were counted in a flow of their own and the
// in-order datagram never counted as reassembled in its flow.
func TestIPv6FragmentsDestOpts(t *testing.T) {
	path, err := filepath.Abs("testdata/frag6-destopts.pcap")
	if err != nil {
		t.Fatal(err)
	}
	b := runPath(t, "", path)
	if n := len(flowsOf(b, "all")); n != 2 {
		t.Errorf("%d flows in class all, want 2", n)
	}
	for _, sport := range []uint16{1053, 1054} {
		f := flowByPorts(b, sport, 53)
		if f == nil {
			t.Errorf("no flow %d>53", sport)
			continue
		}
		re, _ := metric(b, f.FlowID, "ip_reassembled")
		_, pay := metric(b, f.FlowID, "l4_payload_bytes")
		if f.Packets != 2 || re != 1 || pay != 100 {
			t.Errorf("flow %d>53: %d packets, ip_reassembled %d, l4_payload_bytes %v; want 2, 1, 100", sport, f.Packets, re, pay)
		}
	}
}
