package oneway

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/pdu"
)

// frameLink keeps every frame a Sender sends.
type frameLink struct{ frames [][]byte }

func (l *frameLink) Send(frame []byte) { l.frames = append(l.frames, append([]byte(nil), frame...)) }

// TestThroughSender wires the Encoder to a real pdu.Sender as a probe
// would (a PDU's worth of records per AppendRecord; the Sender starts a
// new PDU when it does not fit), receives the frames with pdu.Receiver and
// decodes them: every observation arrives once, and the transport's own
// byte count of TypePacketObs frames stays within 1 % of the observed IP
// bytes with 16-bit signatures (oneway-udp at B, the costlier point).
func TestThroughSender(t *testing.T) {
	pts, _ := loadUDP(t)
	pk := pts["B"]
	cfg := pdu.DefaultSenderConfig()
	link := &frameLink{}
	snd := pdu.NewSender(cfg, 1, link)
	sg, _ := NewSigner(16, mustMask(t, natMaskUDP...))
	enc, _ := NewEncoder(EncoderConfig{SignatureBits: 16, TimeUnitNs: 1000, MaxPayload: cfg.MaxPDUBytes - pdu.HeaderLen - pdu.TrailerLen})
	var batch pdu.Enc
	send := func(now int64) {
		batch.B = batch.B[:0]
		enc.Flush(&batch, 0)
		snd.AppendRecord(pdu.TypePacketObs, now, batch.B)
	}
	observed := 0
	for i := range pk {
		c := &pk[i]
		sig, _ := sg.Sign(&c.d, c.data)
		now := c.d.Meta.TimeNs
		observed += int(c.d.IPLen)
		if enc.Add(&Obs{FlowID: 3, Signature: sig, TimeNs: now, SizeBytes: c.d.IPLen}) {
			send(now)
		}
		snd.Tick(now)
	}
	end := pk[len(pk)-1].d.Meta.TimeNs
	for enc.Len() > 0 {
		send(end)
	}
	snd.Flush(end)
	rcv := pdu.NewReceiver()
	n := 0
	for _, f := range link.frames {
		_, h, payload, fresh, err := rcv.Handle(f)
		if err != nil {
			t.Fatal(err)
		}
		if !fresh || h.Type != pdu.TypePacketObs {
			continue
		}
		if err := Decode(payload, func(o *Obs) { n++ }); err != nil {
			t.Fatal(err)
		}
	}
	if n != len(pk) {
		t.Fatalf("decoded %d observations, sent %d", n, len(pk))
	}
	st := snd.Stats()
	ratio := float64(st.Bytes[pdu.TypePacketObs]) / float64(observed)
	t.Logf("%d PDUs, %d frame bytes for %d IP bytes: %.3f %%", st.PDUs[pdu.TypePacketObs], st.Bytes[pdu.TypePacketObs], observed, 100*ratio)
	if ratio > 0.01 {
		t.Errorf("PDU bytes are %.3f %% of the observed bytes, want <= 1 %%", 100*ratio)
	}
}
