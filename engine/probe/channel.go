package probe

import (
	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// SenderConfig turns a configured collector into the regulation of a
// probe's channel to it: its non-zero fields over pdu.DefaultSenderConfig
// (the key is the probe's: config.ProbeKey).
func SenderConfig(c config.Collector) pdu.SenderConfig {
	s := pdu.DefaultSenderConfig()
	s.Collector = c.Name
	set := func(dst *int64, seconds float64) {
		if seconds > 0 {
			*dst = int64(seconds * 1e9)
		}
	}
	if c.MaxPDUBytes > 0 {
		s.MaxPDUBytes = c.MaxPDUBytes
	}
	set(&s.MaxBuildNs, c.MaxBuildS)
	set(&s.MinGapNs, c.MinGapMs/1e3)
	set(&s.InitialTimeoutNs, c.InitialTimeoutS)
	set(&s.TimeoutIncrementNs, c.TimeoutIncrementS)
	if c.TimeoutMultiplier > 0 {
		s.TimeoutMultiplier = c.TimeoutMultiplier
	}
	if c.MaxRetries > 0 {
		s.MaxRetries = c.MaxRetries
	}
	set(&s.FinalTimeoutNs, c.FinalTimeoutS)
	set(&s.BreakBorderNs, c.BreakBorderS)
	set(&s.HeartbeatNs, c.HeartbeatS)
	set(&s.BacklogNs, c.BacklogS)
	return s
}

// Channels returns the channels of probe name to the config's collectors,
// over links (one per collector, in the config's order), each with the
// collector's regulation and the probe's key.
func Channels(cfg *config.Config, name string, links []pdu.Link) []Channel {
	chans := make([]Channel, len(links))
	for i, l := range links {
		sc := SenderConfig(cfg.Collectors[i])
		sc.Key = cfg.ProbeKey(name)
		chans[i] = Channel{Link: l, Config: sc}
	}
	return chans
}

// MaxFrameAgeNs is the age bound (pdu.Receiver.MaxAgeNs) a keyed
// collector of cfg applies to probe frames: the largest
// pdu.MaxFrameAgeNs of the config's collectors' regulations, as every
// probe sends to every collector with them; -1 (no bound) if one of them
// never destroys a PDU.
func MaxFrameAgeNs(cfg *config.Config) int64 {
	if cfg == nil || len(cfg.Collectors) == 0 {
		return pdu.MaxFrameAgeNs(pdu.DefaultSenderConfig())
	}
	var bound int64
	for _, c := range cfg.Collectors {
		b := pdu.MaxFrameAgeNs(SenderConfig(c))
		if b <= 0 {
			return -1
		}
		bound = max(bound, b)
	}
	return bound
}
