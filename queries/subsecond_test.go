package queries

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/store"
)

// TestStartTimesToTheMillisecond: ftp and top-flows print their times to
// the millisecond (truncated, not rounded: .629850208 is .629), and their
// wide forms (what the TUI shows, to the µs) to the ns: the
// lab's ftp/A holds five transfers started within 25 ms of each other
// (start_time in ns as `tmonbench replay` stores them; tshark -Y
// 'ftp.request.command' puts their LIST/RETR commands at 14:57:38.605,
// .611, .619, .625 and .629), which both queries printed as one
// 2026-11-29T14:57:38Z (a trial); the flow of the first starts at the
// same instant.
func TestStartTimesToTheMillisecond(t *testing.T) {
	starts := []int64{1795964258605025230, 1795964258611774529, 1795964258619629312, 1795964258625008794, 1795964258629850208}
	var transfers []observe.FTPTransfer
	for i, s := range starts {
		transfers = append(transfers, observe.FTPTransfer{Probe: "A", SessionID: 1, Command: "RETR", FileName: "f", Direction: "server_to_client",
			DataMode: "passive", StartTime: s, EndTime: s + 1e6, DurationS: 0.001, Bytes: uint64(i), Status: "complete"})
	}
	flows := []observe.Flow{{FlowID: 1, Probe: "A", Class: "all", Name: "10.10.1.100:50112>198.51.100.10:40983/tcp", IPVersion: 4, Protocol: 6,
		SrcAddr: "10.10.1.100", DstAddr: "198.51.100.10", SrcPort: 50112, DstPort: 40983, FirstSeen: starts[0], LastSeen: starts[0] + 5e6, Packets: 4, Bytes: 400}}
	out := filepath.Join(t.TempDir(), "out")
	r, err := store.BeginRun(out, store.Manifest{Version: "test", Command: []string{"test"}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Abort()
	for _, err := range []error{appendErr(store.Append(r, observe.TableFTPTransfers, transfers)), appendErr(store.Append(r, observe.TableFlows, flows)), r.Finish()} {
		if err != nil {
			t.Fatal(err)
		}
	}
	db, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	column := func(query string, col int) []string {
		q, err := Get(strings.TrimSuffix(query, " --wide"))
		if err != nil {
			t.Fatal(err)
		}
		text := q.SQL
		if strings.HasSuffix(query, " --wide") {
			text = q.Wide
		}
		var buf bytes.Buffer
		if err := FormatCSV(&buf, run(t, db, text)); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n")[1:] {
			got = append(got, strings.Split(line, ",")[col])
		}
		return got
	}
	want := "2026-11-29T14:57:38.605Z 2026-11-29T14:57:38.611Z 2026-11-29T14:57:38.619Z 2026-11-29T14:57:38.625Z 2026-11-29T14:57:38.629Z"
	if got := strings.Join(column("ftp", 1), " "); got != want {
		t.Errorf("ftp start_time: %s\nwant %s", got, want)
	}
	if got := strings.Join(column("top-flows", 5), " "); got != "2026-11-29T14:57:38.605Z" {
		t.Errorf("top-flows first_seen: %s, want 2026-11-29T14:57:38.605Z", got)
	}
	wide := "2026-11-29T14:57:38.605025230Z 2026-11-29T14:57:38.611774529Z 2026-11-29T14:57:38.619629312Z 2026-11-29T14:57:38.625008794Z 2026-11-29T14:57:38.629850208Z"
	if got := strings.Join(column("ftp --wide", 3), " "); got != wide { // probe, class, session_id, start_time
		t.Errorf("ftp --wide start_time: %s\nwant %s", got, wide)
	}
	if got := strings.Join(column("top-flows --wide", 5), " "); got != "2026-11-29T14:57:38.605025230Z" {
		t.Errorf("top-flows --wide first_seen: %s, want 2026-11-29T14:57:38.605025230Z", got)
	}
}
