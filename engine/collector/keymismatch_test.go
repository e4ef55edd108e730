package collector

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/internal/syncio"
)

// TestKeyMismatchEvent: with keys, a probe started with the probes list
// in another order numbers itself by its place in that list, so its
// frames claim another probe's wire id under its own key: each is refused
// (BadAuth), which alone said "bad or missing HMAC tag". The collector
// now finds the key that verifies them and says which probe numbers
// itself otherwise, once, in a probe_key_mismatch event (closing note of
// 2026-12-05: "a reordered probes list shows only as pdu_refused").
func TestKeyMismatchEvent(t *testing.T) {
	// Probe B with the list [B, A]: wire id 1, B's key.
	c, frames := keyedFrames(t, "probes: [{name: A, key: secret-a}, {name: B, key: secret-b}]\n", "secret-b", 20)
	tr := &fakeTransport{frames: frames}
	sink := &recordSink{}
	srv := NewServer(c, tr, sink, ServerOptions{WriteEvery: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	// every frame handled and the event written, then more ticks: it is
	// said once (not a time: ticks counted)
	for deadline := time.Now().Add(time.Minute); srv.Stats().Receiver.BadAuth < 20 || len(eventMessages(sink.events(), "probe_key_mismatch")) == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after a minute: %d frames refused for their tag, events %q", srv.Stats().Receiver.BadAuth, eventMessages(sink.events(), "probe_key_mismatch"))
		}
	}
	moreTicks(t, sink, 5)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	msgs := eventMessages(sink.rows.Events, "probe_key_mismatch")
	want := "frames claiming wire id 1 (A in this collector's probes list) carry the HMAC key of B (wire id 2)"
	if len(msgs) != 1 || !strings.HasPrefix(msgs[0], want) {
		t.Errorf("probe_key_mismatch events %q, want one starting %q", msgs, want)
	}
	if st := srv.Stats().Receiver; st.BadAuth != 20 || tr.acks != 0 {
		t.Errorf("%d frames refused for their tag, %d acknowledged; want 20 and 0", st.BadAuth, tr.acks)
	}
}

// TestKeyMismatchAfterSwitch: a configuration switch that reorders the
// probes list can turn a probe that matched into one that does not, with
// the same pair of wire ids as a mismatch said before the switch. Here
// probe B with the list [B, A] claims id 1 under B's key (id 2 in [A, B]);
// after the collector switches to [B, A], probe A with [A, B] claims id 1
// under A's key (id 2 in [B, A]): another probe, the same pair (1, 2). It
// was not said (the pairs found were remembered across SetKeys), and a
// mismatch found before the switch but said at the next tick was named by
// the new list.
func TestKeyMismatchAfterSwitch(t *testing.T) {
	parse := func(y string) *config.Config {
		cfg, err := config.Parse([]byte(y), "c.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	ab, ba := parse("probes: [{name: A, key: secret-a}, {name: B, key: secret-b}]\n"), parse("probes: [{name: B, key: secret-b}, {name: A, key: secret-a}]\n")
	c, err := New(ab, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetKeys(ab.ProbeKeys()); err != nil {
		t.Fatal(err)
	}
	sink := &recordSink{}
	srv := NewServer(c, &fakeTransport{}, sink, ServerOptions{WriteEvery: time.Hour})
	frame := func(secret string, id uint32) []byte {
		k, _ := pdu.NewKey([]byte(secret))
		return k.AppendFrame(nil, pdu.Header{Type: pdu.TypeCounters, ProbeID: 1, Epoch: 9, ID: id, BuildTimeNs: 1e18}, nil)
	}
	from := netip.MustParseAddrPort("127.0.0.1:5000")
	now := time.Unix(1_700_000_000, 0)
	srv.handle(frame("secret-b", 1), from) // B numbered by [B, A]
	if err := srv.Switch(now.UnixNano(), ba, ab.Hash(), []uint16{1, 2}, ba.ProbeKeys()); err != nil {
		t.Fatal(err)
	}
	srv.tick(now, false)
	srv.handle(frame("secret-a", 2), from) // A numbered by [A, B]
	srv.tick(now.Add(time.Second), true)
	msgs := eventMessages(sink.rows.Events, "probe_key_mismatch")
	want := []string{
		"frames claiming wire id 1 (A in this collector's probes list) carry the HMAC key of B (wire id 2)",
		"frames claiming wire id 1 (B in this collector's probes list) carry the HMAC key of A (wire id 2)",
	}
	if len(msgs) != len(want) {
		t.Fatalf("probe_key_mismatch events %q, want %d starting %q", msgs, len(want), want)
	}
	for i := range want {
		if !strings.HasPrefix(msgs[i], want[i]) {
			t.Errorf("event %d: %q, want it to start %q", i, msgs[i], want[i])
		}
	}
}

// TestRefusedFramesLogged: a probe with a wrong key (none of the config's)
// gets every frame refused; the collector said it only in pdu_refused
// events, so an operator watching its log saw nothing while the probe
// kept sending (the new user's walk of 2026-12-05). It now logs the
// refusals, with their reasons, once a minute at most: one line over
// the ticks of this run.
func TestRefusedFramesLogged(t *testing.T) {
	c, frames := keyedFrames(t, "probes: [{name: A, key: secret-a}]\n", "not-the-key", 5)
	// the first line, then more ticks
	sink, log, stop := serveUntilRefused(t, c, frames)
	moreTicks(t, sink, 5) // still one line
	stop()
	lines := strings.Count(log.String(), "frames refused")
	if lines != 1 || !strings.Contains(log.String(), "5 frames refused: 5 bad or missing HMAC tag (the last from 192.0.2.7:40001, claiming wire id 1 (A))") {
		t.Errorf("log:\n%s\nwant one line saying 5 frames refused for their HMAC tag, the last from 192.0.2.7:40001 claiming A's wire id", log.String())
	}
}

// keyedFrames returns a collector of the config y with its keys, and n
// frames claiming wire id 1, signed with key.
func keyedFrames(t *testing.T, y, key string, n uint32) (*Collector, [][]byte) {
	t.Helper()
	cfg, err := config.Parse([]byte(y), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetKeys(cfg.ProbeKeys()); err != nil {
		t.Fatal(err)
	}
	k, _ := pdu.NewKey([]byte(key))
	var frames [][]byte
	for id := uint32(1); id <= n; id++ {
		frames = append(frames, k.AppendFrame(nil, pdu.Header{Type: pdu.TypeCounters, ProbeID: 1, Epoch: 9, ID: id, BuildTimeNs: 1e18}, nil))
	}
	return c, frames
}

// TestKeyMissingEvent: a probe with a key and a collector without (the
// tester's p2-d4nokey.yaml run of 2026-12-05): the collector wrote the
// probe's rows and sent untagged acknowledgements the probe refused, with
// no word on either side. It now refuses the tagged frames (pdu.Receiver
// KeyMissing) and says so once per probe: one probe_key_missing event and
// one log line, over many ticks.
func TestKeyMissingEvent(t *testing.T) {
	cfg, err := config.Parse([]byte("probes: [{name: A}, {name: B}]\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := pdu.NewKey([]byte("secret-b"))
	var log syncio.Writer
	sink := &recordSink{}
	tr := &fakeTransport{}
	srv := NewServer(c, tr, sink, ServerOptions{WriteEvery: time.Hour, Log: slog.New(slog.NewTextHandler(&log, nil))})
	from := netip.MustParseAddrPort("127.0.0.1:5000")
	now := time.Unix(1_700_000_000, 0)
	for i := range uint32(5) {
		srv.handle(k.AppendFrame(nil, pdu.Header{Type: pdu.TypeCounters, ProbeID: 2, Epoch: 9, ID: i + 1, BuildTimeNs: 1e18}, nil), from)
		srv.tick(now.Add(time.Duration(i)*time.Second), i == 4)
	}
	msgs := eventMessages(sink.rows.Events, "probe_key_missing")
	want := "probe B (wire id 2) tags its PDUs with an HMAC key and this collector has no key for it: its PDUs are refused"
	if len(msgs) != 1 || !strings.HasPrefix(msgs[0], want) {
		t.Errorf("probe_key_missing events %q, want one starting %q", msgs, want)
	}
	if n := strings.Count(log.String(), "probe key missing"); n != 1 {
		t.Errorf("log:\n%s\nwant one probe key missing line", log.String())
	}
	if st := srv.Stats().Receiver; st.Accepted != 0 || st.BadAuth != 5 || st.NoKey != 5 || tr.acks != 0 {
		t.Errorf("accepted %d, refused for their tag %d (no key %d), %d acks; want 0, 5, 5, 0", st.Accepted, st.BadAuth, st.NoKey, tr.acks)
	}
}

// TestRefusedPerInterval: a probe with a wrong key sends a frame a
// second for 18 s to a collector of interval_s 10. The collector wrote
// one pdu_refused event per tick (19 events in 18 s of the tester's run of
// 2026-12-05) where README says "one pdu_refused event per interval": now
// the refusals of an interval are reported at the first tick of the next
// one, and the rest when the server stops (Serve's final reportRefused):
// 2 events here, counting 10 and 8 frames.
func TestRefusedPerInterval(t *testing.T) {
	c, frames := keyedFrames(t, "interval_s: 10\nprobes: [{name: A, key: secret-a}]\n", "not-the-key", 18)
	sink := &recordSink{}
	srv := NewServer(c, &fakeTransport{}, sink, ServerOptions{WriteEvery: time.Hour})
	from := netip.MustParseAddrPort("192.0.2.7:40001")
	start := time.Unix(1_700_000_000, 0) // an interval boundary
	for i, f := range frames {
		srv.handle(f, from)
		srv.tick(start.Add(time.Duration(i+1)*time.Second), false)
	}
	srv.mu.Lock()
	srv.reportRefused(start.Add(18500*time.Millisecond).UnixNano(), true)
	srv.mu.Unlock()
	srv.tick(start.Add(19*time.Second), true)
	var counts []uint64
	for _, e := range sink.rows.Events {
		if e.Kind == "pdu_refused" {
			counts = append(counts, e.Count)
		}
	}
	if !slices.Equal(counts, []uint64{10, 8}) {
		t.Errorf("pdu_refused events counting %v, want 2 counting [10 8]", counts)
	}
}

// eventMessages returns the messages of the events of kind, in order.
func eventMessages(events []observe.Event, kind string) []string {
	var msgs []string
	for _, e := range events {
		if e.Kind == kind {
			msgs = append(msgs, e.Message)
		}
	}
	return msgs
}

// moreTicks waits until the server has committed n more drains to sink
// (one a tick, every WriteEvery): the ticks that would repeat what is to
// be said once. A minute bounds a hang.
func moreTicks(t *testing.T, sink *recordSink, n int) {
	t.Helper()
	sink.mu.Lock()
	from := sink.commits
	sink.mu.Unlock()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
		sink.mu.Lock()
		c := sink.commits
		sink.mu.Unlock()
		if c >= from+n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d ticks in a minute, want %d", c-from, n)
		}
	}
}

// events returns the events written to s so far.
func (s *recordSink) events() []observe.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]observe.Event(nil), s.rows.Events...)
}

// TestRefusedHelloNamed: a probe the config does not list (no keys) had
// every frame refused and the log said only "claiming wire id 16054
// (probe-16054)" (a trial's probe X); its Hello names it: the line says
// so.
func TestRefusedHelloNamed(t *testing.T) {
	cfg, err := config.Parse([]byte("probes: [{name: A}]\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.SetProbes([]uint16{cfg.ProbeID("A")})
	frames := probeFrames(t, cfg, "X", "lab/dns-snmp-ntp/A.pcap", 7)
	_, log, stop := serveUntilRefused(t, c, frames)
	stop()
	want := fmt.Sprintf(`probe not in the config (the last from 192.0.2.7:40001, claiming wire id %d (probe-%d; its hello names it \"X\"))`, cfg.ProbeID("X"), cfg.ProbeID("X"))
	if !strings.Contains(log.String(), want) {
		t.Errorf("log:\n%s\nwant %s", log.String(), want)
	}
}

// twoStepTransport hands its first frames to the server, then the rest
// once next is closed.
type twoStepTransport struct {
	first, rest [][]byte
	from        netip.AddrPort
	next        chan struct{}
}

func (p *twoStepTransport) Serve(ctx context.Context, handle func([]byte, netip.AddrPort) []byte) error {
	for _, fr := range p.first {
		handle(fr, p.from)
	}
	select {
	case <-p.next:
	case <-ctx.Done():
		return ctx.Err()
	}
	for _, fr := range p.rest {
		handle(fr, p.from)
	}
	<-ctx.Done()
	return ctx.Err()
}

func (p *twoStepTransport) SendAck([]byte, netip.AddrPort) error { return nil }

// TestRefusedLaterLoggedAtStop: frames refused after the log's line and
// before the next minute were said only in pdu_refused events (D15 of a
// new user's trial: '6 frames refused' in the log, the 55 refused later
// nowhere but the events table). At stop the log says them, with the
// run's total: 5 then 3 frames with a wrong key, 8 in all.
func TestRefusedLaterLoggedAtStop(t *testing.T) {
	c, frames := keyedFrames(t, "probes: [{name: A, key: secret-a}]\n", "not-the-key", 8)
	var log syncio.Writer
	tr := &twoStepTransport{first: frames[:5], rest: frames[5:], from: netip.MustParseAddrPort("192.0.2.7:40001"), next: make(chan struct{})}
	sink := &recordSink{}
	srv := NewServer(c, tr, sink, ServerOptions{WriteEvery: 10 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	for deadline := time.Now().Add(time.Minute); !strings.Contains(log.String(), "frames refused"); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) { // a hang guard, not a timing assertion
			t.Fatalf("no log line on the refused frames:\n%s", log.String())
		}
	}
	close(tr.next)
	for deadline := time.Now().Add(time.Minute); srv.Stats().Receiver.Refused() < 8; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d frames refused, want 8", srv.Stats().Receiver.Refused())
		}
	}
	moreTicks(t, sink, 2) // within the minute: no line yet
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := log.String()
	if strings.Count(got, "frames refused") != 2 || !strings.Contains(got, "collector: 5 frames refused: 5 bad or missing HMAC tag") ||
		!strings.Contains(got, "collector: 3 more frames refused: 3 bad or missing HMAC tag (the last from 192.0.2.7:40001, claiming wire id 1 (A)) (the pdu_refused events count every one); 8 refused in all") {
		t.Errorf("log:\n%s\nwant a line on the first 5 frames refused, and at stop one on the 3 more, 8 in all", got)
	}
}
