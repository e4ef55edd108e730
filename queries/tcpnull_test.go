package queries

import (
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/store"
)

// TestTCPOptionsNull: the optional columns of tcp_connections (options of
// a SYN not seen, issue 15.16) are written as Parquet optional columns and
// DuckDB reads them as NULL, so avg(server_mss) ignores them.
func TestTCPOptionsNull(t *testing.T) {
	out := filepath.Join(t.TempDir(), "tmon-out")
	r, err := store.BeginRun(out, store.Manifest{Version: "test", Command: []string{"test"}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Abort()
	mss, ws, absent := uint16(1460), int16(7), int16(-1)
	rows := []observe.TCPConnection{
		// SYN and SYN-ACK seen: every option known
		{ConnID: 1, ClientMSS: &mss, ServerMSS: &mss, ClientWScale: &ws, ServerWScale: &ws, ConnState: "SF"},
		// S0: no SYN-ACK, the server's options unknown; the SYN had no window scale
		{ConnID: 2, ClientMSS: &mss, ClientWScale: &absent, ConnState: "S0"},
	}
	if _, err := store.Append(r, observe.TableTCPConnections, rows); err != nil {
		t.Fatal(err)
	}
	if err := r.Finish(); err != nil {
		t.Fatal(err)
	}
	db, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var nullMSS, nullWS, nullHS int
	var avgMSS float64
	var cws int
	err = db.QueryRow(`select count(*) filter (where server_mss is null), count(*) filter (where server_wscale is null),
		count(*) filter (where handshake_rtt_ms is null), avg(server_mss),
		(select client_wscale from tcp_connections where conn_id = 2) from tcp_connections`).Scan(&nullMSS, &nullWS, &nullHS, &avgMSS, &cws)
	if err != nil {
		t.Fatal(err)
	}
	if nullMSS != 1 || nullWS != 1 || nullHS != 2 || avgMSS != 1460 || cws != -1 {
		t.Errorf("NULL server_mss %d, server_wscale %d, handshake_rtt_ms %d, avg(server_mss) %v, client_wscale %d; want 1, 1, 2, 1460, -1",
			nullMSS, nullWS, nullHS, avgMSS, cws)
	}
}
