package collector

import (
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/internal/syncio"
)

// serveUntilRefused serves frames, all from 192.0.2.7:40001, to c with
// warnings logged, until the log says "frames refused" (the first line; a
// hang guard of a minute, not a timing assertion). stop cancels the
// server and waits for it to return.
func serveUntilRefused(t *testing.T, c *Collector, frames [][]byte) (sink *recordSink, log *syncio.Writer, stop func()) {
	t.Helper()
	log = new(syncio.Writer) // held: the server's goroutine writes, the test reads
	from := netip.MustParseAddrPort("192.0.2.7:40001")
	sink = &recordSink{}
	srv := NewServer(c, &fakeTransport{frames: frames, from: from}, sink, ServerOptions{WriteEvery: 10 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	for deadline := time.Now().Add(time.Minute); !strings.Contains(log.String(), "frames refused"); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no log line on the refused frames:\n%s", log.String())
		}
	}
	return sink, log, func() {
		t.Helper()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
