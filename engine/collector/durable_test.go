package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/journal"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/internal/testframes"
)

// labConfig: the default classes plus the one-way class of the lab's UDP
// telemetry between probes A and B (as TestTwoProcesses), with tcp, rtt and
// sizes on their default classes: every kind of state a collector keeps.
const labConfig = `
interval_s: 1
probes: [{name: A}, {name: B}, {name: C}]
classes:
  - name: telemetry
    filter: "udp and dst port 9000"
    granularity: [dst_addr, dst_port]
    analyses: [oneway]
    oneway: {hops: [A, B], signature_bits: 16, mask: [src_addr, src_port, l4_checksum], records: true}
  - name: tcp
    filter: "tcp"
    granularity: [src_addr, dst_addr, src_port, dst_port]
    analyses: [counters, sizes, tcp, rtt]
`

// recorder is a probe's link that keeps every frame and acknowledges it.
type recorder struct{ frames *[][]byte }

func (r recorder) deliver(f []byte) []byte {
	*r.frames = append(*r.frames, slices.Clone(f))
	h, _, err := pdu.ParseFrame(f)
	if err != nil || h.Type == pdu.TypeHeartbeat {
		return nil
	}
	return pdu.AppendAck(nil, h.ProbeID, h.Epoch, h.ID)
}

var (
	labOnce   sync.Once
	labCfg    *config.Config
	labFrames [][]byte
)

// labPDUs returns the PDU frames three probes send for the lab captures
// (A and B: the one-way UDP scenario, C: the TCP mix), interleaved.
func labPDUs(t testing.TB) (*config.Config, [][]byte) {
	t.Helper()
	labOnce.Do(func() {
		cfg, err := config.Parse([]byte(labConfig), "lab.yaml")
		if err != nil {
			t.Fatal(err)
		}
		var per [][][]byte
		for _, c := range []struct{ name, path string }{{"A", "lab/oneway-udp/A.pcap"}, {"B", "lab/oneway-udp/B.pcap"}, {"C", "lab/tcp-mix/A.pcap"}} {
			per = append(per, probeFrames(t, cfg, c.name, c.path, 7))
		}
		for i := 0; ; i++ { // round robin
			any := false
			for _, fs := range per {
				if i < len(fs) {
					labFrames = append(labFrames, fs[i])
					any = true
				}
			}
			if !any {
				break
			}
		}
		labCfg = cfg
	})
	if labCfg == nil {
		t.Fatal("lab frames failed")
	}
	return labCfg, labFrames
}

// probeFrames returns the PDU frames probe name (interface if0, run epoch)
// sends for the capture at path (under testdata), every one acknowledged.
func probeFrames(t testing.TB, cfg *config.Config, name, path string, epoch int64) [][]byte {
	t.Helper()
	var frames [][]byte
	lb := &pdu.Loopback{Deliver: recorder{&frames}.deliver}
	sc := pdu.DefaultSenderConfig()
	sc.MaxPDUBytes = 400 // many PDUs: many crash points
	p, err := probe.New(probe.Identity{Name: name, ID: cfg.ProbeID(name), Interfaces: []string{"if0"}, Epoch: epoch}, cfg, []probe.Channel{{Link: lb, Config: sc}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	lb.Ack = p.Senders()[0].HandleAck
	data, metas := testframes.Frames(t, path)
	for i := range data {
		p.Packet(data[i], metas[i])
	}
	p.Close()
	p.Senders()[0].Settle(p.Now() + 3600e9)
	return frames
}

func labCollector(t *testing.T, cfg *config.Config) *Collector {
	t.Helper()
	c, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.SetProbes([]uint16{cfg.ProbeID("A"), cfg.ProbeID("B"), cfg.ProbeID("C")})
	return c
}

// rowSet formats every row of b, pointers followed, one sorted list per
// table: rows compare as a multiset.
func rowSet(b *observe.Batch) map[string][]string {
	out := map[string][]string{}
	for _, t := range observe.Tables {
		rows := reflect.ValueOf(t.Rows(b))
		for i := range rows.Len() {
			out[t.Name] = append(out[t.Name], formatRow(rows.Index(i)))
		}
		slices.Sort(out[t.Name])
	}
	return out
}

func formatRow(v reflect.Value) string {
	var sb strings.Builder
	for _, c := range observe.ColumnFields(v.Type()) {
		f := v.FieldByIndex(c.Index)
		if f.Kind() == reflect.Pointer {
			if f.IsNil() {
				sb.WriteString("NULL|")
				continue
			}
			f = f.Elem()
		}
		fmt.Fprintf(&sb, "%v|", f.Interface())
	}
	return sb.String()
}

func diffRows(t *testing.T, got, want map[string][]string) {
	t.Helper()
	for _, tab := range observe.Tables {
		g, w := got[tab.Name], want[tab.Name]
		if !slices.Equal(g, w) {
			i := 0
			for i < len(g) && i < len(w) && g[i] == w[i] {
				i++
			}
			var gi, wi string
			if i < len(g) {
				gi = g[i]
			}
			if i < len(w) {
				wi = w[i]
			}
			t.Errorf("%s: %d rows, want %d; first difference:\n got  %s\n want %s", tab.Name, len(g), len(w), gi, wi)
		}
	}
}

// TestCollectorStateRoundTrip: a collector saved at any frame (rows not
// drained yet, open flows, one-way records, held definitions) and restored
// into a new one ends with exactly the rows of one that never stopped.
func TestCollectorStateRoundTrip(t *testing.T) {
	cfg, frames := labPDUs(t)
	run := func(c *Collector, frames [][]byte, all *observe.Batch, drainEvery int) {
		for i, f := range frames {
			c.Handle(f)
			if drainEvery > 0 && i%drainEvery == drainEvery-1 {
				all.Append(c.Drain())
			}
		}
	}
	var whole observe.Batch
	c := labCollector(t, cfg)
	run(c, frames, &whole, 17)
	whole.Append(c.Finish())
	want := rowSet(&whole)
	if len(want["oneway_delays"]) < 4000 || len(want["tcp_connections"]) == 0 || len(want["size_histograms"]) == 0 || len(want["rtt_samples"]) == 0 {
		t.Fatalf("the lab frames do not exercise the collector: %v", whole.Len())
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 6 {
		cut := rng.IntN(len(frames))
		if i == 5 {
			cut = len(frames) // every frame before the save: the end-of-run events' time is in the state
		}
		var got observe.Batch
		a := labCollector(t, cfg)
		run(a, frames[:cut], &got, 17)
		state, err := a.SaveState()
		if err != nil {
			t.Fatal(err)
		}
		b := labCollector(t, cfg)
		if err := b.RestoreState(state); err != nil {
			t.Fatal(err)
		}
		run(b, frames[cut:], &got, 17)
		got.Append(b.Finish())
		diffRows(t, rowSet(&got), want)
	}
}

// memSink is a PlannedSink in memory: parts by table and number, replaced
// when written again, kept across a simulated crash (like files).
type memSink struct {
	mu    sync.Mutex
	parts map[string]map[int]*observe.Batch
	next  map[string]int
	// failAfter, when > 0, makes the write of the failAfter-th table of a
	// plan fail (a crash or a full disk in the middle of a drain).
	failAfter int
}

func newMemSink() *memSink {
	return &memSink{parts: map[string]map[int]*observe.Batch{}, next: map[string]int{}}
}

func (m *memSink) Write(b *observe.Batch) error { return m.WritePlan(b, m.Plan(b)) }
func (m *memSink) Commit() error                { return nil }

func (m *memSink) Plan(b *observe.Batch) map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	plan := map[string]int{}
	for _, t := range observe.Tables {
		if t.Len(b) > 0 {
			plan[t.Name] = m.next[t.Name]
			m.next[t.Name]++
		}
	}
	return plan
}

var errCrash = errors.New("crash in the middle of a write")

func (m *memSink) WritePlan(b *observe.Batch, plan map[string]int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, t := range observe.Tables {
		part, ok := plan[t.Name]
		if !ok {
			continue
		}
		if n++; m.failAfter > 0 && n >= m.failAfter {
			return errCrash
		}
		sub := &observe.Batch{} // a copy: only its table t counts (rows)
		sub.Append(b)
		if m.parts[t.Name] == nil {
			m.parts[t.Name] = map[int]*observe.Batch{}
		}
		m.parts[t.Name][part] = sub
		m.next[t.Name] = max(m.next[t.Name], part+1)
	}
	return nil
}

func (m *memSink) rows() map[string][]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string][]string{}
	for _, t := range observe.Tables {
		for _, b := range m.parts[t.Name] {
			out[t.Name] = append(out[t.Name], rowSet(b)[t.Name]...)
		}
		slices.Sort(out[t.Name])
	}
	return out
}

// ackRecorder is a Transport that only records the acknowledgements sent.
type ackRecorder struct {
	mu   sync.Mutex
	acks int
}

func (a *ackRecorder) Serve(ctx context.Context, _ func([]byte, netip.AddrPort) []byte) error {
	<-ctx.Done()
	return nil
}

func (a *ackRecorder) SendAck([]byte, netip.AddrPort) error {
	a.mu.Lock()
	a.acks++
	a.mu.Unlock()
	return nil
}

// TestDurableCrashRecovery: a durable server is crashed at random frames
// (what was appended but not synced is lost, as with kill -9), sometimes
// in the middle of writing a drain's parts, and restarted from its
// journal with small checkpoints; the probe re-sends every frame whose
// acknowledgement it did not get. The parts end with exactly the rows of
// a server that never crashed (issue 13.2), and no acknowledgement was
// sent for a frame that was not durable.
func TestDurableCrashRecovery(t *testing.T) {
	cfg, frames := labPDUs(t)
	clock := time.Unix(1_800_000_000, 0)
	now := func() time.Time { return clock }
	opts := func(l *journal.Log) ServerOptions {
		return ServerOptions{Journal: l, CheckpointBytes: 64 << 10, Silence: time.Hour, Now: now}
	}
	// the reference: no crash
	dir := t.TempDir()
	l, err := journal.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ref := newMemSink()
	srv := NewServer(labCollector(t, cfg), &ackRecorder{}, ref, opts(l))
	if _, err := srv.Recover(); err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		srv.handle(f, netip.AddrPort{})
		if i%40 == 39 {
			srv.tick(clock, true)
		}
	}
	srv.stopDurable(true)
	want := ref.rows()

	for seed := range uint64(4) {
		rng := rand.New(rand.NewPCG(seed, 99))
		dir := t.TempDir()
		sink := newMemSink()
		next := 0 // the probe's oldest unacknowledged frame, in this simplified model
		crashes, failures := 0, 0
		for ; ; crashes++ {
			l, err := journal.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			tr := &ackRecorder{}
			srv := NewServer(labCollector(t, cfg), tr, sink, opts(l))
			sink.failAfter = 0
			if _, err := srv.Recover(); err != nil {
				t.Fatalf("seed %d crash %d: %v", seed, crashes, err)
			}
			crashAt := len(frames)
			if crashes < 5 {
				crashAt = min(len(frames), next+rng.IntN(len(frames)/3))
			}
			midWrite := crashes < 5 && rng.IntN(2) == 0
			i, synced := next, next // frames below synced have durable records
			for ; i < crashAt; i++ {
				srv.handle(frames[i], netip.AddrPort{})
				if i%40 == 39 {
					if midWrite && i+40 >= crashAt {
						sink.failAfter = 1 + rng.IntN(3)
					}
					srv.tick(clock, true) // syncs the journal before writing
					synced = i + 1
					if srv.isFailed() {
						i++
						break
					}
				}
				if i%7 == 0 {
					d, _ := srv.dur.log.Sync()
					srv.dur.release(d, tr.SendAck)
					synced = i + 1
				}
			}
			if i == len(frames) && !srv.isFailed() {
				srv.stopDurable(true)
				break
			}
			if srv.isFailed() {
				failures++
			}
			// crash: records not synced are gone; the probe sends again
			// every frame not acknowledged (and a few that were: their
			// acks were lost), oldest first
			next = max(0, synced-rng.IntN(30))
		}
		got, n := withoutEvents(sink.rows(), "collector_recovered", "collector_write_failed")
		t.Logf("seed %d: %d restarts, %d write failures", seed, crashes, failures)
		if n["collector_recovered"] != crashes || n["collector_write_failed"] != failures {
			t.Errorf("seed %d: %d collector_recovered events for %d restarts, %d collector_write_failed for %d write failures", seed, n["collector_recovered"], crashes, n["collector_write_failed"], failures)
		}
		diffRows(t, got, want)
	}
}

// withoutEvents removes the events of the kinds given from rows (rowSet)
// and counts them per kind: the events of restarts and failures, which an
// uninterrupted run does not have.
func withoutEvents(rows map[string][]string, kinds ...string) (map[string][]string, map[string]int) {
	n := map[string]int{}
	rows["events"] = slices.DeleteFunc(rows["events"], func(r string) bool {
		for _, k := range kinds {
			if strings.Contains(r, "|"+k+"|") {
				n[k]++
				return true
			}
		}
		return false
	})
	return rows, n
}

// TestAckOnlyWhenDurable: a durable server sends no acknowledgement before
// the frame's journal record is synced.
func TestAckOnlyWhenDurable(t *testing.T) {
	cfg, frames := labPDUs(t)
	l, err := journal.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tr := &ackRecorder{}
	srv := NewServer(labCollector(t, cfg), tr, newMemSink(), ServerOptions{Journal: l})
	if _, err := srv.Recover(); err != nil {
		t.Fatal(err)
	}
	for _, f := range frames[:10] {
		if ack := srv.handle(f, netip.AddrPort{}); ack != nil {
			t.Fatal("ack returned before the journal sync")
		}
	}
	srv.dur.release(l.Durable(), tr.SendAck)
	if tr.acks != 0 {
		t.Fatalf("%d acks before the sync", tr.acks)
	}
	d, err := l.Sync()
	if err != nil {
		t.Fatal(err)
	}
	srv.dur.release(d, tr.SendAck)
	if tr.acks != 10 {
		t.Fatalf("%d acks after the sync, want 10", tr.acks)
	}
}

// failingFS is a journal.FS whose writes fail once armed (a full disk).
type failingFS struct {
	journal.OSFS
	armed *atomic.Bool
}

type failingFile struct {
	journal.File
	armed *atomic.Bool
}

func (f failingFS) OpenFile(name string, flag int, perm os.FileMode) (journal.File, error) {
	file, err := f.OSFS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return failingFile{file, f.armed}, nil
}

func (f failingFile) Write(b []byte) (int, error) {
	if f.armed.Load() {
		return 0, errors.New("write: no space left on device")
	}
	return f.File.Write(b)
}

// feedTransport hands frames to the server, arming a failure half way,
// then waits for the end.
type feedTransport struct {
	ackRecorder
	frames [][]byte
	armAt  int
	armed  *atomic.Bool
	acked  int // acks sent before the failure was armed
	want   int // PDUs (not heartbeats) handed over before it
}

func (f *feedTransport) Serve(ctx context.Context, handle func([]byte, netip.AddrPort) []byte) error {
	for i, fr := range f.frames {
		if i == f.armAt {
			// Let the group commit acknowledge what came before: arm
			// once every PDU handed over so far is acknowledged (one
			// ack per PDU; heartbeats have none, pdu/doc.go), however
			// late a loaded machine commits. A minute only bounds a
			// hang: armed then, the test fails on the count.
			want := 0
			for _, b := range f.frames[:i] {
				if h, _, err := pdu.ParseFrame(b); err == nil && h.Type != pdu.TypeHeartbeat {
					want++
				}
			}
			for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
				f.mu.Lock()
				done := f.acks >= want || time.Now().After(deadline)
				if done {
					f.acked, f.want = f.acks, want
					f.armed.Store(true)
				}
				f.mu.Unlock()
				if done {
					break
				}
			}
		}
		handle(fr, netip.AddrPort{})
	}
	<-ctx.Done()
	return nil
}

// TestDurableWriteFailure: when the journal cannot write (full disk) the
// server stops acknowledging, drops the acknowledgements it held and
// Serve fails (the process exits non-zero); the probes keep retrying.
func TestDurableWriteFailure(t *testing.T) {
	cfg, frames := labPDUs(t)
	armed := new(atomic.Bool)
	l, err := journal.OpenFS(t.TempDir(), failingFS{armed: armed})
	if err != nil {
		t.Fatal(err)
	}
	tr := &feedTransport{frames: frames[:200], armAt: 100, armed: armed}
	sink := newMemSink()
	srv := NewServer(labCollector(t, cfg), tr, sink, ServerOptions{Journal: l, WriteEvery: time.Hour})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background()) }()
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute): // bounds a hang (the acks are awaited up to a minute)
		t.Fatal("Serve did not stop after the write failure")
	}
	if !errors.Is(err, journal.ErrFailed) || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("Serve returned %v", err)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.acked != tr.want {
		t.Fatalf("%d acks before the failure was armed, want one per PDU handed over (%d): the group commit did not acknowledge them within a minute", tr.acked, tr.want)
	}
	if tr.acks != tr.acked {
		t.Fatalf("%d acks in all, %d before the failure: acks went on after it", tr.acks, tr.acked)
	}
	// The journal failed, the sink did not: the event went straight to it.
	if _, n := withoutEvents(sink.rows(), "collector_write_failed"); n["collector_write_failed"] != 1 {
		t.Errorf("%d collector_write_failed events written, want 1", n["collector_write_failed"])
	}
}

// TestReplayedFramesAfterRestart: frames captured on the wire and sent
// again to a collector restarted from its output folder add no row: the
// de-duplication windows came back with its state (issue 13.3); a frame
// of an older run of the probe is refused, not acknowledged.
func TestReplayedFramesAfterRestart(t *testing.T) {
	cfg, frames := labPDUs(t)
	dir, sink := t.TempDir(), newMemSink()
	start := func() (*Server, *ackRecorder) {
		l, err := journal.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		tr := &ackRecorder{}
		srv := NewServer(labCollector(t, cfg), tr, sink, ServerOptions{Journal: l, Silence: time.Hour})
		if _, err := srv.Recover(); err != nil {
			t.Fatal(err)
		}
		return srv, tr
	}
	srv, _ := start()
	for _, f := range frames {
		srv.handle(f, netip.AddrPort{})
	}
	srv.stopDurable(false) // SIGTERM: state kept
	first := srv.Stats().Receiver

	srv, tr := start()
	for _, f := range frames { // the capture replayed
		srv.handle(f, netip.AddrPort{})
	}
	old := pdu.AppendFrame(nil, pdu.Header{Type: pdu.TypeCounters, ProbeID: cfg.ProbeID("A"), Epoch: 6, ID: 1}, nil)
	srv.handle(old, netip.AddrPort{})
	d, _ := srv.dur.log.Sync()
	srv.dur.release(d, tr.SendAck)
	st := srv.Stats().Receiver
	if st.Accepted != first.Accepted || st.Duplicates != first.Duplicates+uint64(len(frames)-int(first.Heartbeats)) || st.ClosedEpoch != 1 {
		t.Errorf("after the replay: %+v; first run %+v", st, first)
	}
	if tr.acks != len(frames)-int(first.Heartbeats) {
		t.Errorf("%d acks, want one per replayed PDU (duplicates are acknowledged), none for the older run", tr.acks)
	}
	srv.stopDurable(true)

	ref := labCollector(t, cfg)
	var want observe.Batch
	for _, f := range frames {
		ref.Handle(f)
	}
	want.Append(ref.Finish())
	diffRows(t, sink.rows(), rowSet(&want))
}

// TestRecoverSaysRestored: a collector replaying its journal after a crash
// says that the probes it takes back connected before the restart
// ("restored from the journal: probe connected"): its log read as probes
// connecting before it even listened (a user's walk of kill -9 and
// restart); a probe's first Hello on a live collector says "probe
// connected".
func TestRecoverSaysRestored(t *testing.T) {
	cfg, frames := labPDUs(t)
	clock := time.Unix(1_800_000_000, 0)
	opts := func(l *journal.Log) ServerOptions {
		return ServerOptions{Journal: l, Silence: time.Hour, Now: func() time.Time { return clock }}
	}
	dir := t.TempDir()
	newServer := func(log *strings.Builder) *Server {
		l, err := journal.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		c, err := New(cfg, slog.New(slog.NewTextHandler(log, nil)))
		if err != nil {
			t.Fatal(err)
		}
		c.SetProbes([]uint16{cfg.ProbeID("A"), cfg.ProbeID("B"), cfg.ProbeID("C")})
		o := opts(l)
		o.Log = slog.New(slog.NewTextHandler(log, nil))
		srv := NewServer(c, &ackRecorder{}, newMemSink(), o)
		if _, err := srv.Recover(); err != nil {
			t.Fatal(err)
		}
		return srv
	}
	var first, second strings.Builder
	srv := newServer(&first)
	for _, f := range frames[:len(frames)/2] {
		srv.handle(f, netip.AddrPort{})
	}
	if _, err := srv.dur.log.Sync(); err != nil { // then a crash: no checkpoint
		t.Fatal(err)
	}
	connected := strings.Count(first.String(), `msg="probe connected"`)
	if connected == 0 {
		t.Fatalf("no probe connected in the first half of the lab frames:\n%s", first.String())
	}
	newServer(&second)
	if s := second.String(); strings.Count(s, `msg="probe connected"`) != 0 || strings.Count(s, `msg="restored from the journal: probe connected"`) != connected {
		t.Errorf("recovery logged, for %d probes connected before the crash:\n%s", connected, s)
	}
	// The recovery itself was said on stdout only (the tester's kill -9
	// runs of 2026-12-05): the log has one line too, as the
	// collector_recovered event.
	if s := second.String(); strings.Count(s, "collector state recovered from its journal after an unclean stop") != 1 {
		t.Errorf("recovery log:\n%s\nwant one line saying the state was recovered from the journal", s)
	}
}

// TestRestartLogged: a probe's new run (epoch) was only a probe_restart
// event at the next drain, nothing in the collector's log (the tester's
// probe kill and restart runs of 2026-12-05); it is now logged at once:
// the first new run of a probe since the last drain, one line.
func TestRestartLogged(t *testing.T) {
	var log strings.Builder
	c, err := New(nil, slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for _, epoch := range []int64{100, 100, 200, 300} {
		c.HandleAt(1_800_000_000e9, pdu.AppendFrame(nil, pdu.Header{Type: pdu.TypeCounters, ProbeID: 1, Epoch: epoch, ID: 1, BuildTimeNs: 1e18}, nil))
		c.Drain() // one line per probe and drain at most: forged epochs cannot flood the log
	}
	if n := strings.Count(log.String(), `msg="probe restarted: a new run, the previous one did not end cleanly"`); n != 2 || !strings.Contains(log.String(), "epoch=300") {
		t.Errorf("log:\n%s\nwant 2 restart lines, the second of epoch 300", log.String())
	}
}

// TestRestoreForgetsLastProbe: a collector that restores a state decodes
// the next PDUs with the restored probes, not with the probe it looked up
// last before (Collector.probe keeps its last answer).
func TestRestoreForgetsLastProbe(t *testing.T) {
	hello := func(name string) []byte {
		return testFrame(pdu.TypeHello, 1, func(e *pdu.Enc) { (&pdu.Hello{Probe: name, Interfaces: []string{"eth0"}}).Append(e) })
	}
	saved, _ := New(nil, nil)
	saved.Handle(hello("site-b"))
	state, err := saved.SaveState()
	if err != nil {
		t.Fatal(err)
	}
	c, _ := New(nil, nil)
	c.Handle(hello("site-a"))
	if err := c.RestoreState(state); err != nil {
		t.Fatal(err)
	}
	c.Handle(testFrame(pdu.TypeEvents, 2, func(e *pdu.Enc) {
		(&pdu.Event{TimeNs: 2e9, Kind: "capture_truncated", Message: "x"}).Append(e)
	}))
	b := c.Finish()
	n := 0
	for _, ev := range b.Events {
		if ev.Kind == "capture_truncated" {
			n++
			if ev.Source != "probe:site-b" {
				t.Errorf("event of the restored probe from %q, want probe:site-b", ev.Source)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d capture_truncated events, want 1: %+v", n, b.Events)
	}
}

// TestRecoverCountsFrames: a collector restarted from its journal (no
// checkpoint: kill -9) counted the replayed frames' PDUs in Accepted but
// not the frames (a trial's summary: "34 frames, 55 PDUs accepted (0
// frames and 23 PDUs of them from before this process"). The receiver's
// counters after recovery are the ones the crashed process had: every
// journalled frame passed Check once (lab frames: none refused).
func TestRecoverCountsFrames(t *testing.T) {
	cfg, frames := labPDUs(t)
	clock := time.Unix(1_800_000_000, 0)
	dir := t.TempDir()
	newServer := func() *Server {
		l, err := journal.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		srv := NewServer(labCollector(t, cfg), &ackRecorder{}, newMemSink(), ServerOptions{Journal: l, Silence: time.Hour, Now: func() time.Time { return clock }})
		if _, err := srv.Recover(); err != nil {
			t.Fatal(err)
		}
		return srv
	}
	srv := newServer()
	for _, f := range frames[:len(frames)/2] {
		srv.handle(f, netip.AddrPort{})
	}
	if _, err := srv.dur.log.Sync(); err != nil { // then a crash: no checkpoint
		t.Fatal(err)
	}
	before := srv.Stats().Receiver
	after := newServer().Stats().Receiver
	if before.Frames != uint64(len(frames)/2) || before.Refused() != 0 || after != before {
		t.Errorf("receiver counters after recovery %+v, want those before the crash %+v (%d frames handled)", after, before, len(frames)/2)
	}
}
