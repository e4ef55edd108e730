package main

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// halting returns the writer of a line that ends the bar's drawing (the
// Ctrl-C lines of a replay writing its tables): each write first clears
// the bar's line, and the bar is never drawn again, not even by finish,
// so no redraw overprints the line (a trial's "Ctrl-C after the captures
// were read ..." was cut by the next refresh). w itself without a bar.
func (b *bar) halting(w io.Writer) io.Writer {
	if b == nil {
		return w
	}
	return haltWriter{b}
}

type haltWriter struct{ b *bar }

func (h haltWriter) Write(p []byte) (int, error) {
	h.b.mu.Lock()
	defer h.b.mu.Unlock()
	if !h.b.halted {
		h.b.halted = true
		if _, err := io.WriteString(h.b.w, "\r\x1b[K"); err != nil {
			return 0, err
		}
	}
	return h.b.w.Write(p)
}

// si writes v with a k or M suffix.
func si(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.0fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
