package main

import (
	"fmt"
	"io"
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
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

// warnFaults says, once per collector whose config has faults (loss, dup,
// reorder, corrupt, outages), that a probe process does not inject them:
// they act on replay's in-process link only (config.Collector.Faults),
// and a probe sent over UDP without a word.
func warnFaults(cfg *config.Config, stderr io.Writer) {
	for _, c := range cfg.Collectors {
		if f := c.Faults; f.Loss > 0 || f.Dup > 0 || f.Reorder > 0 || f.Corrupt > 0 || len(f.Outages) > 0 {
			warnf(stderr, "probe", "collector %s: its faults (loss %g, dup %g, reorder %g, corrupt %g, %d outages) are injected only on tmonbench replay's in-process link: this probe sends to it over UDP without them (impair the real path instead, e.g. tc qdisc add dev DEV root netem loss 20%%)",
				c.Name, f.Loss, f.Dup, f.Reorder, f.Corrupt, len(f.Outages))
		}
	}
}
