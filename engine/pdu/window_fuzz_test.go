package pdu

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"testing"
)

// FuzzReceiverWindows drives a Receiver's epoch and de-duplication logic
// (issue 13.1, 13.3) with arbitrary frames of three probes over seven
// epochs, in-window and far-ahead ids, heartbeat watermarks, clock steps
// (superseded epochs close after the grace) and collector restarts (state
// saved with gob and restored into a new Receiver), against a model:
//   - a (probe, epoch, id) is fresh exactly when never accepted and above
//     what was given up (heartbeat watermarks, ids MaxWindow behind the
//     newest): never accepted twice, across restarts too;
//   - an acknowledgement names the frame's probe, epoch and id;
//   - a refused epoch stays refused; the newest epoch of a probe is never
//     refused; a run keeps its id offset, runs of a probe never share one;
//   - at most MaxEpochs windows per probe.
//
// Each op is 4 bytes: kind and probe, epoch, id, argument.
func FuzzReceiverWindows(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 8, 1, 1, 0, 0, 0, 3, 0})
	f.Add([]byte{0, 0, 5, 0, 7, 0, 0, 0, 0, 0, 5, 0, 0, 0, 4, 0x80, 5, 0, 200, 0, 0, 0, 1, 0})
	f.Add([]byte{0, 1, 1, 0, 0, 2, 1, 0, 0, 3, 1, 0, 0, 4, 1, 0, 0, 5, 1, 0, 0, 1, 2, 0, 6, 0, 90, 1, 0, 2, 2, 0})
	f.Fuzz(runWindows)
}

func runWindows(t *testing.T, ops []byte) {
	{
		type run struct {
			probe uint16
			epoch int64
		}
		type pdu struct {
			run
			id uint32
		}
		r := NewReceiver()
		accepted := map[pdu]bool{}
		givenUp := map[run]uint32{}
		refused := map[run]bool{}
		newest := map[uint16]int64{}
		top := map[run]uint32{}
		bases := map[run]uint64{}
		now := t0
		for i := 0; i+4 <= len(ops) && i < 4*2000; i += 4 {
			b := ops[i : i+4]
			p := uint16(1 + (b[0]>>3)%3)
			k := run{p, 100 * int64(1+b[1]%7)}
			switch b[0] % 8 {
			case 6: // the collector's clock moves
				now += int64(b[2]) * 10e9
				if b[3]&1 != 0 {
					now += 20 * 60e9
				}
				r.Liveness(now, 30e9, func(uint16, int64, bool) {})
				continue
			case 7: // the collector restarts from its saved state
				var buf bytes.Buffer
				if err := gob.NewEncoder(&buf).Encode(r.State()); err != nil {
					t.Fatal(err)
				}
				var st ReceiverState
				if err := gob.NewDecoder(&buf).Decode(&st); err != nil {
					t.Fatal(err)
				}
				r = NewReceiver()
				r.SetState(st)
				continue
			}
			h := Header{Type: TypeCounters, ProbeID: p, Epoch: k.epoch, BuildTimeNs: now}
			var payload []byte
			if b[0]%8 == 5 {
				h.Type = TypeHeartbeat
				payload = binary.BigEndian.AppendUint32(nil, uint32(b[2]))
			} else {
				h.ID = 1 + uint32(b[2])
				if b[3]&0x80 != 0 {
					h.ID = top[k] + MaxWindow + uint32(b[2])
				}
			}
			v, err := r.Accept(now, h, payload, 100)
			if err != nil {
				if !errors.Is(err, ErrClosedEpoch) {
					t.Fatalf("op %d: %+v: %v", i/4, h, err)
				}
				if k.epoch >= newest[p] {
					t.Fatalf("op %d: probe %d's newest epoch %d refused", i/4, p, k.epoch)
				}
				refused[k] = true
				continue
			}
			if refused[k] {
				t.Fatalf("op %d: probe %d epoch %d accepted after being refused", i/4, p, k.epoch)
			}
			newest[p] = max(newest[p], k.epoch)
			if base, ok := bases[k]; ok && base != v.Base {
				t.Fatalf("op %d: run %+v offset %d, was %d", i/4, k, v.Base, base)
			} else if !ok {
				for o, ob := range bases {
					if o.probe == p && ob == v.Base {
						t.Fatalf("op %d: runs %d and %d of probe %d share the offset %d", i/4, o.epoch, k.epoch, p, v.Base)
					}
				}
				bases[k] = v.Base
			}
			if n := len(r.probes[p].wins); n > MaxEpochs {
				t.Fatalf("op %d: %d windows open for probe %d", i/4, n, p)
			}
			if h.Type == TypeHeartbeat {
				if wm := uint32(b[2]); wm > 0 {
					givenUp[k] = max(givenUp[k], wm-1)
				}
				if v.Ack != nil || v.Fresh {
					t.Fatalf("op %d: heartbeat acknowledged or fresh: %+v", i/4, v)
				}
				continue
			}
			if ap, ae, aid, err := ParseAck(v.Ack); err != nil || ap != p || ae != k.epoch || aid != h.ID {
				t.Fatalf("op %d: ack of %d/%d/%d for %+v (%v)", i/4, ap, ae, aid, h, err)
			}
			key := pdu{k, h.ID}
			if want := !accepted[key] && h.ID > givenUp[k]; v.Fresh != want {
				t.Fatalf("op %d: %+v fresh %v, want %v (given up to %d)", i/4, h, v.Fresh, want, givenUp[k])
			}
			if v.Fresh {
				accepted[key] = true
				top[k] = max(top[k], h.ID)
				if h.ID > MaxWindow {
					givenUp[k] = max(givenUp[k], h.ID-MaxWindow)
				}
			}
		}
	}
}
