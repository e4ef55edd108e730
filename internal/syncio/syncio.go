// Package syncio has what goroutines share: the io.Writer of the commands
// and their tests, Locked, the read of a field under its mutex, and
// Ticking, the goroutine that calls a function on a wall-clock ticker.
package syncio

import (
	"bytes"
	"io"
	"sync"
	"time"
)

// Writer is an io.Writer that goroutines may share: each Write reaches its
// destination whole, one at a time. NewWriter(w) passes the writes on to w
// (a terminal a background watch writes to as well). The zero Writer keeps
// them instead: String returns what it holds and FlushTo writes it out (the
// output held while a TUI has the terminal, a terminal a test reads while a
// renderer writes).
type Writer struct {
	mu   sync.Mutex
	to   io.Writer    // nil: the writes are held
	held bytes.Buffer // the writes, while to is nil
}

// NewWriter returns a Writer that passes each write on to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{to: w}
}

// Write passes p on, or holds it.
func (l *Writer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.to != nil {
		return l.to.Write(p)
	}
	return l.held.Write(p)
}

// String returns what the Writer holds.
func (l *Writer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held.String()
}

// FlushTo writes what the Writer holds to w and forgets it.
func (l *Writer) FlushTo(w io.Writer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w.Write(l.held.Bytes())
	l.held.Reset()
}

// PassTo writes what the Writer holds to w and passes the later writes on
// to w (a TUI gave the terminal back while the command goes on).
func (l *Writer) PassTo(w io.Writer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.to == nil {
		w.Write(l.held.Bytes())
		l.held.Reset()
		l.to = w
	}
}

// Locked returns get() called with mu held: the getter of a field that
// goroutines share, said once (lock, read, unlock).
func Locked[T any](mu sync.Locker, get func() T) T {
	mu.Lock()
	defer mu.Unlock()
	return get()
}

// Ticking calls fn with the time of each tick, every period, in a
// goroutine of its own until fn returns true or stop is called; stop
// returns once that goroutine has.
func Ticking(period time.Duration, fn func(now time.Time) (done bool)) (stop func()) {
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			var now time.Time
			select {
			case <-quit:
				return
			case now = <-t.C:
			}
			if fn(now) {
				return
			}
		}
	}()
	return func() { close(quit); wg.Wait() }
}
