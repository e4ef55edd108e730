package probe

import (
	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// Channels returns the channels of probe name to the config's collectors,
// over links (one per collector, in the config's order), each with the
// collector's regulation, the probe's key, spoolDir (a probe process's
// --state-dir; "" none) for the permanent PDUs past max_permanent_mb
// (pdu.SenderConfig.SpoolDir), and the wall clock of the network links
// (pdu.SenderConfig.WallNs: acknowledgement timeouts wait in wall time
// too).
func Channels(cfg *config.Config, name string, links []pdu.Link, spoolDir string, wallNs func() int64) []Channel {
	chans := make([]Channel, len(links))
	for i, l := range links {
		sc := pdu.SenderConfigFor(cfg.Collectors[i])
		sc.Key = cfg.ProbeKey(name)
		sc.SpoolDir = spoolDir
		sc.WallNs = wallNs
		chans[i] = Channel{Link: l, Config: sc}
	}
	return chans
}
