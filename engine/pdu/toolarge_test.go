package pdu

import (
	"net"
	"strings"
	"testing"
)

// TestSenderRefusesRecordTooLarge: a record longer than MaxRecordBytes
// (65,457 bytes: 65,507 bytes of UDP payload over IPv4, RFC 768 and
// RFC 791, less the 30-byte header, 16-byte tag and 4-byte CRC) cannot
// be framed (a frame's payload length is 16 bits): it went out with its
// length wrapped, every collector refused it as corrupt and, a
// permanent PDU, it was retried for ever. Now it is refused at End: a
// pdu_record_too_large error, one destroyed record, and the records
// around it go out in frames ParseFrame accepts. A record of exactly
// MaxRecordBytes is still sent (alone).
func TestSenderRefusesRecordTooLarge(t *testing.T) {
	link := &captureLink{}
	var events []string
	s := NewSender(SenderConfig{MaxPDUBytes: 1400, MaxBuildNs: 1e9, InitialTimeoutNs: 2e9,
		OnEvent: func(_ int64, sev uint8, kind, msg string) {
			if sev == SevError {
				events = append(events, kind+": "+msg)
			}
		}}, 1, link)
	for _, n := range []int{10, MaxRecordBytes + 1, MaxRecordBytes, 10} {
		e := s.Begin(TypeHello, 0)
		e.B = append(e.B, make([]byte, n)...)
		s.End(TypeHello, 0)
	}
	s.Flush(0)
	var sizes []int
	for _, f := range link.frames {
		_, p, err := ParseFrame(f)
		if err != nil {
			t.Fatalf("frame of %d bytes: %v", len(f), err)
		}
		sizes = append(sizes, len(p))
	}
	if len(sizes) != 3 || sizes[0] != 10 || sizes[1] != MaxRecordBytes || sizes[2] != 10 {
		t.Errorf("payloads %v, want [10 %d 10]", sizes, MaxRecordBytes)
	}
	if st := s.Stats(); st.DestroyedRecords[TypeHello] != 1 || st.Records[TypeHello] != 3 {
		t.Errorf("destroyed %d, records %d hello records, want 1 and 3", st.DestroyedRecords[TypeHello], st.Records[TypeHello])
	}
	if len(events) != 1 || !strings.HasPrefix(events[0], EventRecordTooLarge+": a hello record of 65458 bytes refused") {
		t.Errorf("error events %q, want one %s of 65458 bytes", events, EventRecordTooLarge)
	}
}

// TestHelloFit: Fit keeps the longest prefix of the interface names whose
// record encodes in the bound, and the record then decodes to it.
func TestHelloFit(t *testing.T) {
	h := Hello{Probe: "p", Interfaces: []string{"a", "bb", "ccc", "dddd"}}
	// "p": 2 bytes, count: 1, then 2, 3, 4, 5 bytes: 3+2+3 = 8 for a, bb.
	if got := h.Fit(10); got != 2 || len(h.Interfaces) != 2 {
		t.Fatalf("Fit(10) dropped %d, kept %q; want 2 dropped, [a bb]", got, h.Interfaces)
	}
	var e Enc
	h.Append(&e)
	if len(e.B) != 8 {
		t.Errorf("record %d bytes, want 8", len(e.B))
	}
	var back Hello
	back.Decode(&Dec{B: e.B})
	if back.Probe != "p" || len(back.Interfaces) != 2 || back.Interfaces[1] != "bb" {
		t.Errorf("decoded %+v", back)
	}
	if got := h.Fit(8); got != 0 {
		t.Errorf("Fit(8) of a fitting record dropped %d", got)
	}
}

// TestMaxFrameOneDatagram: a frame longer than MaxFrameBytes does not go
// over UDP at all (the kernel refuses a 65,508-byte datagram on IPv4
// loopback, EMSGSIZE: 65,535 less 20 bytes of IP and 8 of UDP header),
// so a channel configured with max_pdu_bytes 65535 sent PDUs that failed
// at every retry. NewSender now clamps MaxPDUBytes to MaxFrameBytes and
// Validate refuses more.
func TestMaxFrameOneDatagram(t *testing.T) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c, err := net.DialUDP("udp4", nil, conn.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(make([]byte, MaxFrameBytes)); err != nil {
		t.Errorf("a datagram of MaxFrameBytes: %v", err)
	}
	if _, err := c.Write(make([]byte, MaxFrameBytes+1)); err == nil {
		t.Errorf("a datagram of MaxFrameBytes+1 was sent")
	}
	s := NewSender(SenderConfig{MaxPDUBytes: 65535}, 1, &captureLink{})
	if got := s.PayloadBytes(); got != MaxFrameBytes-HeaderLen-TrailerLen {
		t.Errorf("payload %d bytes, want %d", got, MaxFrameBytes-HeaderLen-TrailerLen)
	}
	cfg := DefaultSenderConfig()
	cfg.MaxPDUBytes = 65535
	if cfg.Validate() == nil {
		t.Errorf("MaxPDUBytes 65535 accepted")
	}
}
