package pdu

import "github.com/tmonbench/tmonbench/engine/config"

// SenderConfigFor turns a configured collector into the regulation of a
// probe's channel to it: its non-zero fields over DefaultSenderConfig
// (the key is the probe's: config.ProbeKey).
func SenderConfigFor(c config.Collector) SenderConfig {
	s := DefaultSenderConfig()
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
	s.MaxPermanentBytes = DefaultMaxPermanentBytes
	if c.MaxPermanentMB > 0 {
		s.MaxPermanentBytes = max(int(c.MaxPermanentMB*(1<<20)), 1)
	}
	s.SpoolMaxBytes = DefaultSpoolMaxBytes
	if c.SpoolMaxMB > 0 {
		s.SpoolMaxBytes = max(int64(c.SpoolMaxMB*(1<<20)), 1)
	}
	return s
}

// EffectiveCollector returns c with every regulation field it leaves at
// zero (the default) set to the value SenderConfigFor uses, in c's units:
// what `tmonbench config --effective` prints (0 would read as "never
// retry" or "no heartbeat").
func EffectiveCollector(c config.Collector) config.Collector {
	s := SenderConfigFor(c)
	c.MaxPDUBytes = s.MaxPDUBytes
	c.MaxBuildS = float64(s.MaxBuildNs) / 1e9
	c.MinGapMs = float64(s.MinGapNs) / 1e6
	c.InitialTimeoutS = float64(s.InitialTimeoutNs) / 1e9
	c.TimeoutIncrementS = float64(s.TimeoutIncrementNs) / 1e9
	c.TimeoutMultiplier = s.TimeoutMultiplier
	c.MaxRetries = s.MaxRetries
	c.FinalTimeoutS = float64(s.FinalTimeoutNs) / 1e9
	c.BreakBorderS = float64(s.BreakBorderNs) / 1e9
	c.HeartbeatS = float64(s.HeartbeatNs) / 1e9
	c.BacklogS = float64(s.BacklogNs) / 1e9
	c.MaxPermanentMB = float64(s.MaxPermanentBytes) / (1 << 20)
	c.SpoolMaxMB = float64(s.SpoolMaxBytes) / (1 << 20)
	return c
}

// CollectorMaxAgeNs is the age bound (Receiver.MaxAgeNs) a keyed
// collector of cfg applies to probe frames: the largest
// MaxFrameAgeNs of the config's collectors' regulations, as every
// probe sends to every collector with them; -1 (no bound) if one of them
// never destroys a PDU.
func CollectorMaxAgeNs(cfg *config.Config) int64 {
	if cfg == nil || len(cfg.Collectors) == 0 {
		return MaxFrameAgeNs(DefaultSenderConfig())
	}
	var bound int64
	for _, c := range cfg.Collectors {
		b := MaxFrameAgeNs(SenderConfigFor(c))
		if b <= 0 {
			return -1
		}
		bound = max(bound, b)
	}
	return bound
}

// EffectiveConfig returns a copy of cfg whose collectors have every
// regulation default applied (EffectiveCollector), cfg unchanged: the
// configuration as it runs, which `tmonbench config --effective` prints
// and every run.json records (its text: EffectiveYAML, RedactedYAML). Its
// Hash is not cfg's: the hash a run records and its processes compare is
// cfg.Hash().
func EffectiveConfig(cfg *config.Config) *config.Config {
	c := *cfg
	c.Collectors = nil
	for _, col := range cfg.Collectors {
		c.Collectors = append(c.Collectors, EffectiveCollector(col))
	}
	return &c
}
