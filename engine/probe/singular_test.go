package probe_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/collector"
	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/internal/capgen"
	"github.com/tmonbench/tmonbench/replay"
)

// TestProbeStopSingular (the sixth trial's D1): a probe that saw one
// packet of one flow said "1 packets ... 1 flows" in its probe_stop event
// and its lifecycle log line. One UDP datagram 192.0.2.1:4000 >
// 198.51.100.2:9 (capgen; tshark: 1 frame, 1 conversation) under a config
// of one class "all" (one flow): "1 packet, 1 IP, 0 not IP, 0 malformed,
// 1 flow", and probe_start "1 class". The fields and their order are the
// same, so the TUI still reads "N malformed" from it.
func TestProbeStopSingular(t *testing.T) {
	u := capgen.UDP{Src: capgen.AP("192.0.2.1:4000"), Dst: capgen.AP("198.51.100.2:9"), Payload: make([]byte, 20)}
	data := capgen.PCAP([]capgen.Frame{{TimeNs: capgen.Base, Data: u.Frame()}}, true)
	src, err := replay.NewReader(bytes.NewReader(data), "one.pcap", int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte("classes:\n  - name: all\n    filter: \"\"\n"), "one.yaml")
	if err != nil {
		t.Fatal(err)
	}
	coll, err := collector.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	p, err := probe.New(probe.Identity{Name: "A"}, cfg, []probe.Channel{{Link: &pdu.Loopback{Deliver: coll.Handle}, Config: pdu.DefaultSenderConfig()}}, slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(context.Background(), src, probe.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	msgs := map[string]string{}
	for _, e := range coll.Finish().Events {
		msgs[e.Kind] = e.Message
	}
	if got, want := msgs["probe_stop"], "probe A: 1 packet, 1 IP, 0 not IP, 0 malformed, 1 flow"; got != want {
		t.Errorf("probe_stop %q, want %q", got, want)
	}
	if got := msgs["probe_start"]; !strings.HasPrefix(got, "probe A started with 1 class, ") {
		t.Errorf("probe_start %q, want 1 class", got)
	}
	if !strings.Contains(log.String(), "probe A stopped: 1 packet, 1 flow") {
		t.Errorf("log:\n%s\nwant probe A stopped: 1 packet, 1 flow", log.String())
	}
}
