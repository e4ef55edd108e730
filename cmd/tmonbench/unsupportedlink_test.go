package main

import (
	"path/filepath"
	"testing"
)

// TestUnsupportedLinkWarned: packets of a pcapng interface whose link
// type replay does not read are skipped with a warning line on stderr,
// also under -q, beside the capture_unsupported_link event
// (TestInputCountersReported): edge case 20 holds 2 packets of an 802.11
// interface (tshark -r input.pcapng -Y wlan: 2 frames); a trial's
// Ethernet + 802.11 pcapng (mergecap) lost 136 of its 272 packets with
// exit 0 and nothing said.
func TestUnsupportedLinkWarned(t *testing.T) {
	f := filepath.Join(samples(t), "edge", "20-pcapng-unsupported-link", "input.pcapng")
	code, _, stderr := tmon(t, "replay", "-q", "--out", filepath.Join(t.TempDir(), "o"), f)
	want := "tmonbench replay: warning: " + f + ": 2 packets of pcapng interfaces with an unsupported link type skipped (not in any table)\n"
	if code != 0 || stderr != want {
		t.Errorf("exit %d, stderr %q; want exit 0 and %q", code, stderr, want)
	}
}
