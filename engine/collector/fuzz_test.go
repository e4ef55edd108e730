package collector

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// fuzzFrames encodes PDUs as a fuzz input: for each, its type (1 byte),
// its build time's offset from the previous one in ms (1 byte), the
// payload's length (2 bytes, little-endian) and the payload.
func fuzzFrames(frames [][]byte) []byte {
	var out []byte
	for _, f := range frames {
		h, payload, err := pdu.ParseFrame(f)
		if err != nil {
			panic(err)
		}
		out = append(out, byte(h.Type), 1)
		out = binary.LittleEndian.AppendUint16(out, uint16(len(payload)))
		out = append(out, payload...)
	}
	return out
}

// FuzzApply feeds a collector, between real PDUs of probe C (the lab TCP
// mix), PDUs of probe B whose types and payloads come from the fuzzer
// (seeded with B's real PDUs: Hello, definitions, counters, one-way
// observations...), the way a probe with a bug or a hostile sender holding
// the key would: CRC and authentication pass, the records inside are
// arbitrary. Properties: no panic; every drained or final row names its
// probe; a flow is written once (design 4: a flow row carries the flow's
// totals; a second row would count its traffic twice).
func FuzzApply(f *testing.F) {
	cfg, frames := labPDUs(f)
	idB, idC := cfg.ProbeID("B"), cfg.ProbeID("C")
	var bFrames, cFrames [][]byte
	for _, fr := range frames {
		h, _, err := pdu.ParseFrame(fr)
		if err != nil {
			f.Fatal(err)
		}
		switch h.ProbeID {
		case idB:
			bFrames = append(bFrames, fr)
		case idC:
			cFrames = append(cFrames, fr)
		}
	}
	if len(bFrames) < 8 || len(cFrames) < 40 {
		f.Fatalf("lab PDUs: %d of B, %d of C", len(bFrames), len(cFrames))
	}
	for i := 0; i < len(bFrames); i += 6 {
		f.Add(fuzzFrames(bFrames[max(0, i-2):min(len(bFrames), i+6)]))
	}
	f.Add(fuzzFrames(bFrames[:3]))
	cHead, cTail := cFrames[:20], cFrames[20:40]
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.SetProbes([]uint16{idB, idC})
		seen := map[string]bool{}
		check := func(b *observe.Batch) {
			for i := range b.Flows {
				r := &b.Flows[i]
				k := fmt.Sprint(r.Probe, "/", r.FlowID)
				if seen[k] {
					t.Fatalf("flow %s written twice", k)
				}
				seen[k] = true
			}
			for _, tb := range observe.Tables {
				rows := reflect.ValueOf(tb.Rows(b))
				for i := range rows.Len() {
					if p := rows.Index(i).FieldByName("Probe"); p.IsValid() && p.String() == "" {
						t.Fatalf("%s row without its probe: %+v", tb.Name, rows.Index(i).Interface())
					}
				}
			}
		}
		for _, fr := range cHead {
			c.Handle(fr)
		}
		var (
			id    uint32
			build int64 = 1_700_000_000e9
		)
		for len(in) >= 4 {
			typ, step, n := pdu.Type(in[0]), int64(in[1]), int(binary.LittleEndian.Uint16(in[2:]))
			in = in[4:]
			n = min(n, len(in))
			payload := in[:n]
			in = in[n:]
			id++
			build += step * 1e6
			c.Handle(pdu.AppendFrame(nil, pdu.Header{Type: typ, ProbeID: idB, Epoch: 7, ID: id, BuildTimeNs: build}, payload))
			if id%4 == 0 {
				check(c.Drain())
			}
		}
		for _, fr := range cTail {
			c.Handle(fr)
		}
		check(c.Drain())
		check(c.Finish())
	})
}
