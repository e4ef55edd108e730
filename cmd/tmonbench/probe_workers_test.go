//go:build linux

package main

import (
	"bufio"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tmonbench/tmonbench/internal/netlab"
	"github.com/tmonbench/tmonbench/internal/testout"
)

// startIn starts `tmonbench args` in ns and waits for a stdout line
// containing ready; the rest of stdout is discarded.
func startIn(t *testing.T, ns *netlab.NS, ready string, args ...string) (*exec.Cmd, *strings.Builder) {
	t.Helper()
	return startBinIn(t, ns, testout.Binary(t), ready, args...)
}

// startBinIn is startIn with the binary bin.
func startBinIn(t *testing.T, ns *netlab.NS, bin, ready string, args ...string) (*exec.Cmd, *strings.Builder) {
	t.Helper()
	cmd := ns.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	startKilled(t, cmd)
	r := bufio.NewReader(stdout)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("%s did not start: %q %v\n%s", args[0], line, err, stderr.String())
		}
		if strings.Contains(line, ready) {
			break
		}
	}
	go r.WriteTo(discard{})
	return cmd, &stderr
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }

// TestProbeLiveWorkers runs two `tmonbench probe -i` processes on B's end
// of the veth link, one with --workers 1 and one with --workers 3 (the
// kernel gives both sockets every packet, with the same timestamps),
// sending to one collector, while the generator sends its mix and
// datagrams from 4 more of A's addresses. The collector's rows of the two
// probes are the same, row for row (every column but the probe's name):
// flows, flow_counters, rtt_samples; for TCP, whose segments each socket
// stamps itself, every column but the times (flows, tcp_connections:
// payload, packets, retransmissions, state, history); and the flows hold
// exactly the packets and IP bytes the generator sent.
func TestProbeLiveWorkers(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t)
	srcs := lab.AddAddrs(t, 4)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "lab.yaml")
	os.WriteFile(cfg, []byte("probes: [{name: w1}, {name: w3}]\ncollectors: [{name: central, address: \"127.0.0.1:7700\"}]\n"+liveLabConfig), 0o644)
	out := filepath.Join(dir, "out")
	coll, collErr := startIn(t, lab.B, "listening on", "collector", "--config", cfg, "--out", out, "--idle-exit", "3s")
	var probes []*exec.Cmd
	var errs []*strings.Builder
	for _, w := range []string{"1", "3"} {
		p, e := startIn(t, lab.B, "capturing on", "probe", "-i", lab.IfB, "--workers", w, "--config", cfg, "--name", "w"+w, "--filter", "net 192.0.2.0/24", "--linger", "1m")
		probes, errs = append(probes, p), append(errs, e)
	}
	truth := sendWorkersMix(t, lab, 5, srcs)
	for i, p := range probes {
		p.Process.Signal(syscall.SIGTERM)
		if err := p.Wait(); err != nil {
			t.Fatalf("probe %d: %v\n%s", i, err, errs[i].String())
		}
	}
	if err := coll.Wait(); err != nil {
		t.Fatalf("collector: %v\n%s", err, collErr.String())
	}
	db := openOut(t, out)
	// TCP segments carry their sender's pacing time, which the kernel
	// keeps instead of a receive stamp: each socket stamps them itself, a
	// microsecond apart; the rest is stamped once for both.
	for _, c := range []struct{ table, cols, where string }{
		{"flows", "* EXCLUDE (probe)", "protocol != 6"},
		{"flow_counters", "* EXCLUDE (probe)", "true"},
		{"rtt_samples", "* EXCLUDE (probe)", "kind NOT LIKE 'tcp%'"},
		{"flows", "* EXCLUDE (probe, first_seen, last_seen)", "protocol = 6"},
		{"tcp_connections", "class, conn_id, client_addr, client_port, server_addr, server_port, client_payload_bytes, server_payload_bytes, client_packets, server_packets, client_retransmissions, server_retransmissions, conn_state, history", "true"},
	} {
		sel := func(p string) string {
			return `SELECT ` + c.cols + ` FROM ` + c.table + ` WHERE probe = '` + p + `' AND ` + c.where
		}
		rows := queryInt(t, db, `SELECT count(*) FROM (`+sel("w3")+`)`)
		diff := queryInt(t, db, `SELECT count(*) FROM ((`+sel("w1")+` EXCEPT ALL `+sel("w3")+`) UNION ALL (`+sel("w3")+` EXCEPT ALL `+sel("w1")+`))`)
		t.Logf("%s where %s: %d rows per probe, %d differ", c.table, c.where, rows, diff)
		if rows == 0 || diff != 0 {
			t.Errorf("%s where %s: %d rows of w3, %d rows differ between --workers 1 and 3", c.table, c.where, rows, diff)
		}
	}
	for _, f := range truth.Flows {
		if f.Packets == 0 {
			continue
		}
		var pk, by sql.NullInt64
		if err := db.QueryRow(`SELECT sum(packets), sum(bytes) FROM flows WHERE probe = 'w3' AND class = 'lab' AND protocol = ? AND src_addr = ? AND dst_addr = ? AND src_port = ? AND dst_port = ?`,
			f.Proto, f.Src.Addr().String(), f.Dst.Addr().String(), f.Src.Port(), f.Dst.Port()).Scan(&pk, &by); err != nil {
			t.Fatal(err)
		}
		if uint64(pk.Int64) != f.Packets || uint64(by.Int64) != f.IPBytes {
			t.Errorf("flow %v > %v (%d): %d packets %d bytes; the generator sent %d packets %d bytes", f.Src, f.Dst, f.Proto, pk.Int64, by.Int64, f.Packets, f.IPBytes)
		}
	}
}
