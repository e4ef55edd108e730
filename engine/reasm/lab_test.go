package reasm

import (
	"encoding/binary"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// labRow is one datagram of lab/frag/ground_truth.csv.
type labRow struct {
	seq, ipID, udpPayload, fragsA, fragsB int
	completeA                             bool
	stateB                                string // complete, incomplete, absent
	fragsRC, fragsRS                      int
	stateRC, stateRS                      string
	aFirst, aLast, bFirst, bLast          int64
}

func readLabTruth(t *testing.T, dir string) map[uint32]labRow {
	t.Helper()
	fh, err := os.Open(filepath.Join(dir, "ground_truth.csv"))
	if err != nil {
		t.Fatalf("lab frag ground truth: %v", err)
	}
	defer fh.Close()
	recs, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	num := func(rec []string, name string) int64 {
		s := rec[col[name]]
		if s == "" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", name, s, err)
		}
		return n
	}
	rows := map[uint32]labRow{}
	for _, rec := range recs[1:] {
		r := labRow{
			seq:        int(num(rec, "seq")),
			ipID:       int(num(rec, "ip_id")),
			udpPayload: int(num(rec, "udp_payload_size")),
			fragsA:     int(num(rec, "frags_a")),
			fragsB:     int(num(rec, "frags_b")),
			completeA:  rec[col["complete_a"]] == "True",
			stateB:     rec[col["state_b"]],
			fragsRC:    int(num(rec, "frags_rc")),
			fragsRS:    int(num(rec, "frags_rs")),
			stateRC:    rec[col["state_rc"]],
			stateRS:    rec[col["state_rs"]],
			aFirst:     num(rec, "ts_a_first_ns"),
			aLast:      num(rec, "ts_a_last_ns"),
			bFirst:     num(rec, "ts_b_first_ns"),
			bLast:      num(rec, "ts_b_last_ns"),
		}
		if _, dup := rows[uint32(r.ipID)]; dup {
			t.Fatalf("ip_id %d twice in the ground truth", r.ipID)
		}
		rows[uint32(r.ipID)] = r
	}
	return rows
}

// TestLabFrag checks every datagram of the lab frag scenario against the
// lab's ground truth (samples/lab/frag/ground_truth.csv, oracle in
// summary.json: fragments grouped by (src, dst, IPv4 id), complete = the
// fragments cover 0 to the end of the MF=0 one): at probe A all 200
// datagrams complete; at B 180 complete, 11 incomplete, 9 absent. First
// and last fragment times must equal ts_{a,b}_{first,last}_ns exactly.
func TestLabFrag(t *testing.T) {
	dir := filepath.Join(samplesDir(t), "lab", "frag")
	truth := readLabTruth(t, dir)

	for _, tc := range []struct {
		probe     string
		timeoutNs int64
		reason    Reason
	}{
		{"A", 30_000_000_000, ReasonFlush},
		{"B", 30_000_000_000, ReasonFlush},
		// The lab server's ipfrag_time is 5 s (summary.json params): the
		// incomplete datagrams then time out before the capture ends.
		{"B", 5_000_000_000, ReasonTimeout},
	} {
		pkts := readCapture(t, filepath.Join(dir, tc.probe+".pcap"))
		r := New(Config{TimeoutNs: tc.timeoutNs})
		done, inc := feed(t, r, pkts)

		var wantComplete, wantIncomplete int
		for _, row := range truth {
			switch {
			case tc.probe == "A" && row.completeA, tc.probe == "B" && row.stateB == "complete":
				wantComplete++
			case tc.probe == "B" && row.stateB == "incomplete":
				wantIncomplete++
			}
		}
		if len(done) != wantComplete || len(inc) != wantIncomplete {
			t.Errorf("%s: complete %d incomplete %d, ground truth %d and %d",
				tc.probe, len(done), len(inc), wantComplete, wantIncomplete)
		}
		for _, res := range done {
			row, ok := truth[res.ID]
			if !ok {
				t.Errorf("%s: complete datagram id %d not in the ground truth", tc.probe, res.ID)
				continue
			}
			first, last, frags := row.aFirst, row.aLast, row.fragsA
			if tc.probe == "B" {
				first, last, frags = row.bFirst, row.bLast, row.fragsB
				if row.stateB != "complete" {
					t.Errorf("B: id %d complete, ground truth %s", res.ID, row.stateB)
				}
			}
			if res.FirstNs != first || res.LastNs != last || res.Fragments != frags {
				t.Errorf("%s seq %d id %d: times %d..%d frags %d, ground truth %d..%d frags %d",
					tc.probe, row.seq, res.ID, res.FirstNs, res.LastNs, res.Fragments, first, last, frags)
			}
			// 20-byte IPv4 header + 8-byte UDP header + payload.
			if len(res.Datagram) != 28+row.udpPayload ||
				int(binary.BigEndian.Uint16(res.Datagram[24:])) != 8+row.udpPayload {
				t.Errorf("%s seq %d: datagram %d bytes, want %d", tc.probe, row.seq, len(res.Datagram), 28+row.udpPayload)
			}
			if c := checksum(res.Datagram[:20]); c != 0 {
				t.Errorf("%s seq %d: bad IPv4 header checksum", tc.probe, row.seq)
			}
			// lab README §5: each payload starts with an 8-byte sequence
			// number; the UDP checksum over the whole datagram verifies
			// only if every fragment landed in place.
			if len(res.Datagram) >= 36 {
				if seq := binary.BigEndian.Uint64(res.Datagram[28:]); seq != uint64(row.seq) {
					t.Errorf("%s id %d: payload seq %d, ground truth %d", tc.probe, res.ID, seq, row.seq)
				}
			}
			if c := udp4Checksum(res.Datagram); c != 0 {
				t.Errorf("%s seq %d: UDP checksum does not verify", tc.probe, row.seq)
			}
		}
		for _, in := range inc {
			row, ok := truth[in.ID]
			if !ok || tc.probe != "B" || row.stateB != "incomplete" {
				t.Errorf("%s: incomplete id %d (%+v), ground truth %+v", tc.probe, in.ID, in, row)
				continue
			}
			if in.FirstNs != row.bFirst || in.LastNs != row.bLast || in.Fragments != row.fragsB ||
				in.Reason != tc.reason || in.Protocol != 17 {
				t.Errorf("B seq %d id %d: %+v, ground truth %d..%d frags %d reason %v",
					row.seq, in.ID, in, row.bFirst, row.bLast, row.fragsB, tc.reason)
			}
		}
		st := r.Stats()
		if st.Overlaps != 0 || st.Duplicates != 0 || st.Malformed != 0 || st.Truncated != 0 || r.Len() != 0 {
			t.Errorf("%s: stats %+v", tc.probe, st)
		}
	}
}

// udp4Checksum verifies the UDP checksum of an IPv4 datagram with a
// 20-byte header (RFC 768 pseudo-header); it returns 0 when valid.
func udp4Checksum(dg []byte) uint16 {
	ph := make([]byte, 0, 12+len(dg)-20)
	ph = append(ph, dg[12:20]...)
	ph = append(ph, 0, dg[9])
	ph = binary.BigEndian.AppendUint16(ph, uint16(len(dg)-20))
	ph = append(ph, dg[20:]...)
	return checksum(ph)
}

// TestLabFragRouter checks the router-side captures RC (client side) and
// RS (server side, fragments re-cut for MTU 576 in part mtu576) against
// state_rc/state_rs and frags_rc/frags_rs of the ground truth (no times
// are given for them).
func TestLabFragRouter(t *testing.T) {
	dir := filepath.Join(samplesDir(t), "lab", "frag")
	truth := readLabTruth(t, dir)
	for _, probe := range []string{"RC", "RS"} {
		state := func(r labRow) (string, int) {
			if probe == "RC" {
				return r.stateRC, r.fragsRC
			}
			return r.stateRS, r.fragsRS
		}
		pkts := readCapture(t, filepath.Join(dir, probe+".pcap"))
		r := New(DefaultConfig())
		done, inc := feed(t, r, pkts)
		want := map[string]int{}
		for _, row := range truth {
			st, _ := state(row)
			want[st]++
		}
		if len(done) != want["complete"] || len(inc) != want["incomplete"] {
			t.Errorf("%s: complete %d incomplete %d, ground truth %v", probe, len(done), len(inc), want)
		}
		for _, res := range done {
			st, frags := state(truth[res.ID])
			if st != "complete" || res.Fragments != frags || len(res.Datagram) != 28+truth[res.ID].udpPayload {
				t.Errorf("%s id %d: complete with %d fragments, %d bytes; ground truth %s, %d fragments",
					probe, res.ID, res.Fragments, len(res.Datagram), st, frags)
			}
		}
		for _, in := range inc {
			st, frags := state(truth[in.ID])
			if st != "incomplete" || in.Fragments != frags {
				t.Errorf("%s id %d: incomplete with %d fragments; ground truth %s, %d fragments",
					probe, in.ID, in.Fragments, st, frags)
			}
		}
	}
}
