//go:build linux

package live

import (
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// TestStopEventsUnread: a live run aborted by a second Ctrl-C stopped with
// packets still in the ring, which no counter of capture_stop showed (a
// trial: 445068 passed the filter, 304640 delivered, 123237 dropped; the
// 445068 - 304640 - 123237 = 17191 left were in no event). capture_stop
// now says them, a warning; a drained stop (docs/live.md's lo example:
// 252 passed, 126 delivered, 126 loopback copies) leaves 0, an info; a
// kernel count read before the Source's gives 0, not a wrapped number.
func TestStopEventsUnread(t *testing.T) {
	info := []Info{{Name: "eth0", MTU: 1500}}
	for _, c := range []struct {
		st     Stats
		unread string
		sev    string
	}{
		{Stats{KernelPackets: 445068, Delivered: 304640, Drops: 123237}, ", 17191 left unread in the ring when the capture stopped", observe.SevWarning},
		{Stats{KernelPackets: 252, Delivered: 126, LoopbackCopies: 126}, ", 0 left unread in the ring when the capture stopped", observe.SevInfo},
		{Stats{KernelPackets: 10, Delivered: 12}, ", 0 left unread in the ring when the capture stopped", observe.SevInfo},
	} {
		var got []string
		StopEvents([]Stats{c.st}, info, func(sev, kind, msg string, n uint64) {
			if sev != c.sev || kind != "capture_stop" || n != c.st.Drops || !strings.HasSuffix(msg, c.unread) {
				t.Errorf("%+v: %s %s %q count %d, want %s ending %q, count %d", c.st, sev, kind, msg, n, c.sev, c.unread, c.st.Drops)
			}
			got = append(got, msg)
		})
		if len(got) != 1 {
			t.Errorf("%+v: %d events", c.st, len(got))
		}
	}
}

// TestStopEventsNouns: capture_stop counts its nouns: 1 packet, 1 time,
// 1 loopback copy (a trial read "1 packets passed", "ring full 1
// times"); 2 of each are plural.
func TestStopEventsNouns(t *testing.T) {
	info := []Info{{Name: "lo", MTU: 65536}}
	for _, c := range []struct {
		st   Stats
		want string
	}{
		{Stats{KernelPackets: 1, Delivered: 0, Drops: 0, Freezes: 1, LoopbackCopies: 1},
			"lo (MTU 65536, offloads []): 1 packet passed the kernel filter, 0 delivered (0 out of time order), 0 dropped by the kernel (ring full 1 time), 1 loopback copy skipped, 0 left unread in the ring when the capture stopped"},
		{Stats{KernelPackets: 2, Delivered: 0, Drops: 0, Freezes: 2, LoopbackCopies: 2},
			"lo (MTU 65536, offloads []): 2 packets passed the kernel filter, 0 delivered (0 out of time order), 0 dropped by the kernel (ring full 2 times), 2 loopback copies skipped, 0 left unread in the ring when the capture stopped"},
	} {
		StopEvents([]Stats{c.st}, info, func(_, _, msg string, _ uint64) {
			if msg != c.want {
				t.Errorf("%+v:\n got %s\nwant %s", c.st, msg, c.want)
			}
		})
	}
}
