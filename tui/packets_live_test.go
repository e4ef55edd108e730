package tui

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/store"
)

// TestPacketsLiveProbe: p on a flow a probe captured live (tmonbench
// probe -i IFACE) into a collector said "run tmonbench replay on it to see
// packets" (a trial: probe P1 on t36va), though a live interface leaves
// no file to replay. The probe's capture_stop event, "IFACE (MTU ...)"
// (live.StopEvents; the trial's collector events: "t36va (MTU 1500,
// offloads [gso tso rx-checksum tx-checksum]): 164 packets passed the
// kernel filter, ..."), tells the TUI so: it says no run keeps such
// packets and to replay a tcpdump -w file of the interface. A capture_stop
// of another interface of the probe does not count.
func TestPacketsLiveProbe(t *testing.T) {
	stop := func(iface string) observe.Event {
		return observe.Event{Time: 1795964264_000000000, Source: "probe:A", Kind: "capture_stop", Severity: observe.SevInfo,
			Message: iface + " (MTU 1500, offloads [gso tso rx-checksum tx-checksum]): 164 packets passed the kernel filter, 164 delivered (0 out of time order), 0 dropped by the kernel (ring full 0 times), 0 loopback copies skipped, 0 left unread in the ring when the capture stopped"}
	}
	for iface, want := range map[string]string{
		"if0":  "no capture of probe A if0 here (captured live: no run keeps the packets): replay a tcpdump -w file of it to see packets",
		"if01": "no capture of probe A if0 here (a collector gets counters, not packets): replay its pcap, or a tcpdump -w one if live",
	} {
		out := outputAs(t, replayed(t, ftpLab), "collector")
		app, err := store.OpenAppend(out, store.Manifest{Mode: store.ModeCollector})
		if err != nil {
			t.Fatal(err)
		}
		if err := app.Write(&observe.Batch{Events: []observe.Event{stop(iface)}}); err != nil {
			t.Fatal(err)
		}
		if err := app.Close(); err != nil {
			t.Fatal(err)
		}
		t.Chdir(t.TempDir())
		_, press, expect := screenModel(t, out)
		press("4", "enter", "p")
		expect("packets of a live probe's flow, capture_stop of "+iface, "Packets of", want)
	}
}
