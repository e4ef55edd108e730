package tui

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/internal/netlab"
	"github.com/tmonbench/tmonbench/internal/testdb"
	"github.com/tmonbench/tmonbench/internal/testenv"
	"github.com/tmonbench/tmonbench/internal/testout"
)

// newTmuxSized is newTmux at w×h with extra environment variables.
func newTmuxSized(t *testing.T, w, h int, env []string, shell string) *tmuxSession {
	t.Helper()
	testenv.Tool(t, "tmux")
	s := &tmuxSession{t: t, socket: filepath.Join(t.TempDir(), "tmux.sock"), name: "tui"}
	args := []string{"new-session", "-d", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h), "-s", s.name, "-e", "TERM=xterm-256color"}
	for _, e := range env {
		args = append(args, "-e", e)
	}
	s.run(append(args, shell)...)
	t.Cleanup(func() { exec.Command("tmux", "-S", s.socket, "kill-server").Run() })
	return s
}

// paneEscapes is the pane with its escape sequences (colours, reverse).
func (s *tmuxSession) paneEscapes() string { return s.run("capture-pane", "-e", "-p", "-t", s.name) }

// TestTmuxNoColour80x24: in a real 80×24 terminal under NO_COLOR the TUI
// draws no colour at all but keeps reverse video (active tab, cursor row),
// every screen fits the 24 rows (tab bar on top, footer at the bottom), a
// brush on the overview is seen (┣━━┫ under the strip), and the terminal
// is restored on quit.
func TestTmuxNoColour80x24(t *testing.T) {
	out := replayed(t, ftpLab)
	s := newTmuxSized(t, 80, 24, []string{"NO_COLOR=1"}, shellAround(testout.Binary(t), out))
	for _, sc := range []struct{ key, want string }{{"", "Throughput"}, {"2", "row 1 of 84"}, {"enter", "Counters"}, {"4", "row 1 of 16"}, {"8", "Named queries"}} {
		if sc.key == "enter" {
			s.keys("Enter")
		} else if sc.key != "" {
			s.keys(sc.key)
		}
		p := s.waitFor(sc.want)
		lines := strings.Split(strings.TrimRight(p, "\n"), "\n")
		// the tab bar first (on a screen drilled into at 80 columns the
		// tabs other than the current one keep their number only)
		if len(lines) != 24 || !strings.HasPrefix(strings.TrimSpace(lines[0]), "1 ") || !strings.Contains(lines[23], "tab next screen") {
			t.Errorf("screen %q at 80×24: %d lines, first %q, last %q", sc.want, len(lines), lines[0], lines[len(lines)-1])
		}
		e := s.paneEscapes()
		if hasColour(e) {
			t.Errorf("screen %q: colours under NO_COLOR:\n%q", sc.want, e)
		}
		if !strings.Contains(e, "\x1b[7m") && !regexp.MustCompile(`\x1b\[[0-9;]*;7[;m]`).MatchString(e) {
			t.Errorf("screen %q: no reverse video under NO_COLOR", sc.want)
		}
	}
	// the brush is marked without colours too: a ┣━━┫ line under the
	// strip over the brushed buckets (here the first eleven)
	s.keys("1")
	s.waitFor("Throughput")
	s.keys("b") // the cursor is still on the first bucket; one key at a time: "gb" would come as one message
	s.waitFor("brush: move to the other end")
	for range 10 {
		s.keys("Right")
	}
	s.keys("b")
	s.waitFor(" ┣━━━━━━━━━┫\n", "brush 2026-11-29 14:57:38.548973 – 14:57:39.", "every screen now shows")
	if e := s.paneEscapes(); hasColour(e) {
		t.Errorf("brushed overview: colours under NO_COLOR:\n%q", e)
	}
	s.keys("q")
	s.waitFor("TUI-EXIT=0", "STTY-SAME")
}

var statusPkts = regexp.MustCompile(`replaying( \(ended\))? ([0-9,]+) pkts · ([0-9,]+) pkt/s`)

func atoiComma(s string) int {
	n, _ := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
	return n
}

// TestTmuxReplayRealtime: `tmonbench replay --speed realtime --tui` on the
// lab FTP capture (7,799 packets over 7.4 s of capture time): the status
// line and live panel count the packets while the replay runs (a count
// below 7,799 is seen, with a rate), then say it ended with all 7,799;
// the tables written at the end appear in the same screen; the RTT screen
// lists the engines' 21 handshake samples from the snapshot; q quits, the
// summary follows and the terminal is restored. Its wall time is the
// run's, not the time the TUI stayed open after it (a trial read "wall
// time 77.051 s (1 packets/s)" for a 38 s capture): at most the time the
// end was seen, though q comes 3 s later.
func TestTmuxReplayRealtime(t *testing.T) {
	out := filepath.Join(t.TempDir(), "tmon-out")
	bin := testout.Binary(t)
	start := time.Now() // before the command: its run takes less
	shell := `a=$(stty -g); ` + bin + ` replay --speed realtime --tui --out ` + out + ` ` + capture(t, ftpLab) +
		`; echo "TUI-EXIT=$?"; b=$(stty -g); if [ "$a" = "$b" ]; then echo STTY-SAME; else echo STTY-DIFF; fi; sleep 60`
	s := newTmuxSized(t, 120, 40, nil, shell)
	s.waitFor("Live · replaying", "pkt/s over the last")
	during := 0
	var endSeen time.Duration
	deadline := time.Now().Add(time.Minute)
	for {
		p := s.pane()
		if m := statusPkts.FindStringSubmatch(p); m != nil {
			n := atoiComma(m[2])
			if m[1] == "" && n > 0 && n < 7799 && atoiComma(m[3]) > 0 {
				during = n
			}
			if m[1] != "" {
				endSeen = time.Since(start)
				if n != 7799 {
					t.Fatalf("replay ended with %d packets counted, want 7,799:\n%s", n, p)
				}
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replay did not end in 60 s:\n%s", p)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if during == 0 {
		t.Errorf("no snapshot seen while the replay ran (a count below 7,799 with a rate)")
	}
	t.Logf("seen during the replay: %d packets", during)
	// the run is written before the TUI quits: its tables show up
	s.waitFor("Output tmon-out", "7,799", "Live · replaying · ended")
	// the RTT screen lists the engines' rows (the lab's 21 handshakes)
	s.keys("5")
	s.waitFor("row 1 of 21 · sorted by request_time ↓ · live: the engines' latest 256 rows", "tcp_handshake")
	time.Sleep(3 * time.Second) // the TUI open after the run
	s.keys("q")
	p := s.waitFor("TUI-EXIT=0", "STTY-SAME")
	if !strings.Contains(p, "packets read            7799") {
		t.Errorf("no summary after the TUI:\n%s", p)
	}
	if m := regexp.MustCompile(`wall time +([0-9.]+) s`).FindStringSubmatch(p); m == nil {
		t.Errorf("no wall time in the summary:\n%s", p)
	} else if wall, _ := strconv.ParseFloat(m[1], 64); wall > endSeen.Seconds() {
		t.Errorf("summary's wall time %s s, more than the %.3f s at which the run's end was seen: it counts the TUI left open", m[1], endSeen.Seconds())
	}
	db := testdb.Open(t, out)
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM flows`).Scan(&n); err != nil || n != 84 {
		t.Errorf("flows after the replay: %d %v, want 84", n, err)
	}
}

const tuiLabConfig = `interval_s: 1
classes:
  - name: lab
    filter: "net 192.0.2.0/24"
    granularity: [protocol, src_addr, dst_addr, src_port, dst_port]
    analyses: [counters, tcp, rtt]
`

var statusCapturing = regexp.MustCompile(`capturing ([0-9,]+) pkts · [0-9,]+ pkt/s · drops ([0-9,]+) · unacked`)

// TestTmuxLiveNetns: `tmonbench live -i IFACE --tui` on B's end of a veth
// lab (root): while the generator sends its mix from A, the status line
// counts at least every packet sent, with the kernel's drops (0); the
// tables written meanwhile appear on the overview; q stops the capture
// (as SIGTERM), the summary follows, and the tables hold every packet of
// every generated flow.
func TestTmuxLiveNetns(t *testing.T) {
	lab := netlab.New(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "lab.yaml")
	if err := os.WriteFile(cfg, []byte(tuiLabConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	cmd := lab.B.Command(testout.Binary(t), "live", "-i", lab.IfB, "--config", cfg, "--out", out, "--name", "labB", "--write-every", "300ms", "--tui")
	shell := `a=$(stty -g); ` + strings.Join(cmd.Args, " ") +
		`; echo "TUI-EXIT=$?"; b=$(stty -g); if [ "$a" = "$b" ]; then echo STTY-SAME; else echo STTY-DIFF; fi; sleep 60`
	s := newTmuxSized(t, 120, 40, nil, shell)
	s.waitFor("Live · capturing", "labB")
	truth, err := lab.Send(netlab.Mix{Pings: 5, UDP: 50, UDPSize: 200, UDPGap: time.Millisecond, TCPBytes: 64 << 10, DNS: true})
	if err != nil {
		t.Fatal(err)
	}
	var sent int
	for _, f := range truth.Flows {
		sent += int(f.Packets)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		p := s.pane()
		if m := statusCapturing.FindStringSubmatch(p); m != nil && atoiComma(m[1]) >= sent {
			if m[2] != "0" {
				t.Errorf("kernel drops %s on a quiet veth", m[2])
			}
			t.Logf("status after %d generator packets: %s", sent, m[0])
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the status line never counted the %d packets sent:\n%s", sent, p)
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.waitFor("Output out", "labB")
	s.keys("q")
	p := s.waitFor("TUI-EXIT=0", "STTY-SAME")
	if !strings.Contains(p, "tmonbench live labB: ") {
		t.Errorf("no summary after the TUI:\n%s", p)
	}
	db := testdb.Open(t, out)
	// offline, the overview's drops column reads the capture_stop event
	d, err := loadOverview(context.Background(), db, out, brush{}, false)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range d.probes {
		if r.probe == "labB" && r.iface == lab.IfB {
			found = true
			if r.drops != "0" {
				t.Errorf("overview drops column for %s/%s: %q, want 0 (capture_stop event)", r.probe, r.iface, r.drops)
			}
		}
	}
	if !found {
		t.Errorf("no overview row for labB/%s: %+v", lab.IfB, d.probes)
	}
	for _, f := range truth.Flows {
		if f.Packets == 0 {
			continue
		}
		var pk sql.NullInt64
		q := `SELECT sum(packets) FROM flows WHERE class = 'lab' AND protocol = ? AND src_addr = ? AND dst_addr = ? AND src_port = ? AND dst_port = ?`
		if err := db.QueryRow(q, f.Proto, f.Src.Addr().String(), f.Dst.Addr().String(), f.Src.Port(), f.Dst.Port()).Scan(&pk); err != nil {
			t.Fatal(err)
		}
		if uint64(pk.Int64) != f.Packets {
			t.Errorf("flow %v > %v (%d): %d packets, generator sent %d", f.Src, f.Dst, f.Proto, pk.Int64, f.Packets)
		}
	}
}
