package pipeline

import (
	"fmt"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// Collectors returns the in-process collectors of cfg (one per configured
// collector, with its regulation and injected faults), or one default
// collector. Errors: an outage that does not parse (DURATION@START).
func Collectors(cfg *config.Config) ([]Collector, error) {
	if len(cfg.Collectors) == 0 {
		return []Collector{{Name: "collector", Sender: pdu.DefaultSenderConfig()}}, nil
	}
	var out []Collector
	for _, c := range cfg.Collectors {
		f := pdu.Faults{LossRate: c.Faults.Loss, DupRate: c.Faults.Dup, ReorderRate: c.Faults.Reorder, CorruptRate: c.Faults.Corrupt, Seed: c.Faults.Seed}
		for _, o := range c.Faults.Outages {
			w, err := pdu.ParseOutage(o)
			if err != nil {
				return nil, fmt.Errorf("%s: collectors %s: faults.outages: %w", cfg.File(), c.Name, err)
			}
			f.Outages = append(f.Outages, w)
		}
		out = append(out, Collector{Name: c.Name, Sender: pdu.SenderConfigFor(c), Faults: f})
	}
	return out, nil
}
