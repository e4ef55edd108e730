// Package syncio has the io.Writer that goroutines share in the commands
// and their tests.
package syncio

import (
	"bytes"
	"io"
	"sync"
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
