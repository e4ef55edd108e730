package collector

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/internal/syncio"
)

// TestDuplicateProbeName: two probe processes named B (the tester's run
// of 2026-12-05) send under one wire id with two epochs at once. The
// collector logged one "probe connected" and took the second for a
// restart (probe_restart) while both went on, their rows mixed. Once the
// older run speaks pdu.DuplicateRunNs after the newer one began, it now
// says so: one probe_duplicate_name event per detection, one log line per
// probe, and the older run's PDUs are refused (no ack, no rows) so that
// the tables follow one probe from then on.
func TestDuplicateProbeName(t *testing.T) {
	cfg, err := config.Parse([]byte("probes: [{name: A}, {name: B}]\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var log syncio.Writer
	c, err := New(cfg, slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	frame := func(epoch int64, typ pdu.Type, id uint32, rec func(e *pdu.Enc)) []byte {
		var e pdu.Enc
		rec(&e)
		return pdu.AppendFrame(nil, pdu.Header{Type: typ, ProbeID: 2, Epoch: epoch, ID: id, BuildTimeNs: 1e18 + int64(id)}, e.B)
	}
	hello := func(epoch int64) []byte {
		return frame(epoch, pdu.TypeHello, 1, func(e *pdu.Enc) { (&pdu.Hello{Probe: "B", Interfaces: []string{"if0"}}).Append(e) })
	}
	heartbeat := func(epoch int64, id uint32) []byte { return frame(epoch, pdu.TypeHeartbeat, id, func(*pdu.Enc) {}) }
	event := func(epoch int64, id uint32) []byte {
		return frame(epoch, pdu.TypeEvents, id, func(e *pdu.Enc) {
			(&pdu.Event{TimeNs: 1e18, Kind: "test_event", Message: "from run " + string(rune('0'+epoch/100))}).Append(e)
		})
	}
	const s = int64(1e9)
	now := int64(1_700_000_000) * s
	acks := 0
	for _, f := range []struct {
		at    int64
		frame []byte
	}{
		{0, hello(100)}, {s / 2, event(100, 2)},
		{s, hello(200)}, {s + s/2, event(200, 2)}, // the second B: a "restart"
		{3 * s, event(100, 3)}, {4 * s, event(100, 4)}, {4 * s, heartbeat(100, 0)}, // the first B goes on
		{5 * s, event(200, 3)},
	} {
		if c.HandleAt(now+f.at, f.frame) != nil {
			acks++
		}
	}
	var dups, runs []string
	restarts := 0
	for _, e := range c.Finish().Events {
		switch e.Kind {
		case "probe_duplicate_name":
			dups = append(dups, e.Message)
		case "probe_restart":
			restarts++
		case "test_event":
			runs = append(runs, e.Message)
		}
	}
	want := "probe B: two probes run under this name: run epoch 100 still sends after run epoch 200 began"
	if len(dups) != 1 || !strings.HasPrefix(dups[0], want) || restarts != 1 {
		t.Errorf("probe_duplicate_name events %q, %d probe_restart; want one starting %q, and the one restart", dups, restarts, want)
	}
	if strings.Join(runs, ",") != "from run 1,from run 2,from run 2" || acks != 5 {
		t.Errorf("rows from %q, %d acks; want run 1's first event and run 2's two, 5 acks (the first run refused from its frame at +3 s)", runs, acks)
	}
	if n := strings.Count(log.String(), "two probes run under one name"); n != 1 {
		t.Errorf("log:\n%s\nwant one line on the two probes", log.String())
	}
}
