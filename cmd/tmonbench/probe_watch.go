package main

import (
	"fmt"
	"io"
	"time"

	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/internal/syncio"
)

// Wall-clock delays of watchCollectors: a collector that refused datagrams
// (ICMP port unreachable) is reported after refusedWarn, one that sent no
// acknowledgement at all after silentWarn, both counted from the first
// datagram the probe sent it.
const (
	refusedWarn = 1 * time.Second
	silentWarn  = 5 * time.Second
	watchEvery  = 250 * time.Millisecond
)

// watchedLink is one collector channel watched by watchCollectors.
type watchedLink struct {
	name, addr string
	link       *pdu.UDPLink
	firstSend  time.Time // when a sent datagram was first seen
	warned     bool      // a warning is out
	answered   bool      // an acknowledgement came: nothing more to say
}

// watchCollectors warns on stderr, within seconds of wall time, about each
// collector that does not answer (issue 9: not only when the probe ends),
// and says so when one answers after a warning. The probe keeps sending
// and retrying meanwhile (design 1.5). stop ends the watch.
func watchCollectors(links []watchedLink, stderr io.Writer) (stop func()) {
	return syncio.Ticking(watchEvery, func(now time.Time) bool {
		for i := range links {
			links[i].check(now, stderr)
		}
		return false
	})
}

// check looks at one channel's datagram counters at wall time now.
func (w *watchedLink) check(now time.Time, stderr io.Writer) {
	if w.answered {
		return
	}
	st := w.link.Stats()
	if w.firstSend.IsZero() {
		if st.Sent+st.SendErrors == 0 {
			return
		}
		w.firstSend = now
	}
	switch since := now.Sub(w.firstSend); {
	case st.Received > 0:
		if w.warned {
			fmt.Fprintf(stderr, "tmonbench probe: collector %s at %s answers now\n", w.name, w.addr)
		}
		w.answered = true
	case w.warned:
	case st.Refused > 0 && since >= refusedWarn:
		warnf(stderr, "probe", "collector %s at %s refuses the PDUs (%d ICMP port unreachable): nothing listens there; start the collector (tmonbench collector --listen %s) or fix collectors[].address; the probe keeps retrying",
			w.name, w.addr, st.Refused, w.addr)
		w.warned = true
	case since >= silentWarn:
		warnf(stderr, "probe", "no acknowledgement from collector %s at %s after %v (%d datagrams sent): is it running there, with this probe's key? The probe keeps retrying",
			w.name, w.addr, silentWarn, st.Sent)
		w.warned = true
	}
}
