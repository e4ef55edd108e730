package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/internal/testsamples"
	"github.com/tmonbench/tmonbench/replay"
)

// TestUnackedSaysUnsent: a probe whose channel could not send its queue
// before the linger ended said "N PDUs still unacknowledged ... (is the
// collector running ...?)" although the collector had acknowledged every
// PDU it was sent (the live helper's probe -i under a ping flood: 2,083
// "unacknowledged", 0 retransmissions). The PDUs never sent are now told
// apart (probe.RunResult.Unsent, pdu.Sender.Unsent).
func TestUnackedSaysUnsent(t *testing.T) {
	var stderr bytes.Buffer
	r := &probeRunner{name: "A", linger: 5 * time.Second, stderr: &stderr}
	for _, tc := range []struct {
		res        probe.RunResult
		want, lack string
	}{
		{probe.RunResult{Unacked: 2083, Unsent: 2083}, "probe: 2083 PDUs never sent after --linger 5s: the channel's regulation (one PDU per min_gap_ms) could not carry them in time", "collector running"},
		{probe.RunResult{Unacked: 300, Unsent: 28}, "probe: 300 PDUs still unacknowledged after --linger 5s, 28 of them never sent (the channel's regulation, one PDU per min_gap_ms, could not carry them in time) (is the collector running", ""},
		{probe.RunResult{Unacked: 5}, "probe: 5 PDUs still unacknowledged after --linger 5s (is the collector running", "never sent"},
		// a trial's older of two probes named A: refused by the collector
		// (probe_duplicate_name), it was told of the collector's address only
		{probe.RunResult{Unacked: 7}, "probe: 7 PDUs still unacknowledged after --linger 5s (is the collector running at the configured address, with this probe's key? Or did another probe process start under the name A: a collector then follows the newer run only, its events say probe_duplicate_name); not acknowledged, they may or may not have reached the collector", ""},
	} {
		err := r.unacked(context.Background(), tc.res)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || (tc.lack != "" && strings.Contains(err.Error(), tc.lack)) {
			t.Errorf("%+v: %v\nwant it to start %q", tc.res, err, tc.want)
		}
	}
	if err := r.unacked(context.Background(), probe.RunResult{}); err != nil {
		t.Errorf("nothing unacknowledged: %v", err)
	}
}

// TestSummaryAndExitAgree runs a probe over a capture file to two
// collectors that read and never acknowledge (max_pdu_bytes 1400 and
// 300: different counts), with --linger 100ms: the exit message gives
// each collector's count of PDUs unacknowledged as its part of the
// summary line does, and their sum, all read from one snapshot of the
// channels after the linger (probe.RunResult.Channels). It gave only
// the sum, with "is the collector running ...?", where the summary line
// gave each channel's count read again after the run.
func TestSummaryAndExitAgree(t *testing.T) {
	var addrs []string
	for range 2 {
		silent, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer silent.Close()
		addrs = append(addrs, silent.LocalAddr().String())
	}
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte("collectors:\n  - {name: a, address: \""+addrs[0]+"\", max_pdu_bytes: 1400}\n  - {name: b, address: \""+addrs[1]+"\", max_pdu_bytes: 300}\n"), 0o644)
	var stdout, stderr bytes.Buffer
	cfg, err := loadConfig("probe", path, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	src, err := replay.Open(testsamples.Path(t, "lab", "ftp", "A.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	r := &probeRunner{name: "A", ifaces: []string{"if0"}, linger: 100 * time.Millisecond, stdout: &stdout, stderr: &stderr,
		log: slog.New(slog.NewTextHandler(&stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	res, err := r.run(context.Background(), cfg, src)
	if err != nil {
		t.Fatal(err)
	}
	err = r.unacked(context.Background(), res)
	parts := regexp.MustCompile(`collector (a|b): \d+ PDUs, \d+ retransmissions, (\d+) unacknowledged`).FindAllStringSubmatch(stdout.String(), -1)
	if len(parts) != 2 || err == nil {
		t.Fatalf("summary %q, error %v: want both collectors' parts and an error", stdout.String(), err)
	}
	na, _ := strconv.Atoi(parts[0][2])
	nb, _ := strconv.Atoi(parts[1][2])
	want := fmt.Sprintf("probe: %d PDUs still unacknowledged after --linger 100ms (collector a: %d, collector b: %d) (is the collector running", na+nb, na, nb)
	if na == 0 || nb == 0 || na == nb || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("summary %q\nerror %q\nwant it to start %q", stdout.String(), err, want)
	}
}

// TestUDPPart: the socket counters of a channel (pdu.UDPStats) the probe's
// and the collector's summary lines used to leave out: an acknowledgement
// dropped unread (the probe under a ping flood dropped 1,819 while the
// link held 1,024), a write failure, an ICMP port unreachable, an
// acknowledgement the collector could not write back. Nothing to say: "".
func TestUDPPart(t *testing.T) {
	if got := udpPart(pdu.UDPStats{Sent: 10, Received: 10, AckSends: 3}); got != "" {
		t.Errorf("nothing wrong: %q", got)
	}
	got := udpPart(pdu.UDPStats{SendErrors: 2, Refused: 5, AcksDropped: 1819, AckFails: 1})
	want := ", 2 datagram writes failed, 5 refused (ICMP port unreachable), 1819 acknowledgements dropped unread (their PDUs retried), 1 acknowledgement not written back"
	if got != want {
		t.Errorf("udpPart = %q, want %q", got, want)
	}
}

// TestInterruptedUnackedExit130 (the review of 0fe537f): a file stopped
// by a signal whose last PDUs were not all acknowledged after the linger
// exits 130 (interrupted), as `probe --help` says, with the
// unacknowledged count said on stderr; it exited 1.
func TestInterruptedUnackedExit130(t *testing.T) {
	var stderr bytes.Buffer
	r := &probeRunner{name: "A", linger: 5 * time.Second, stderr: &stderr}
	err := r.fileExit(context.Background(), probe.RunResult{Unacked: 4}, &stoppableFile{interrupted: true})
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 130 || !strings.HasPrefix(stderr.String(), "tmonbench probe: 4 PDUs still unacknowledged after --linger 5s") {
		t.Errorf("err %v, stderr %q: want exit 130 and the count said", err, stderr.String())
	}
	stderr.Reset()
	if err := r.fileExit(context.Background(), probe.RunResult{}, &stoppableFile{}); err != nil || stderr.Len() != 0 {
		t.Errorf("a whole file, all acknowledged: %v %q", err, stderr.String())
	}
}
