package pipeline_test

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/replay"
)

// withoutTransportEvents drops the events that describe the transport
// itself (long retry mode, destroyed PDUs): they differ between links by
// nature; every observation must not.
func withoutTransportEvents(b *observe.Batch) *observe.Batch {
	c := *b
	c.PDUStats = nil // the channels' own counters
	c.Events = nil
	for _, e := range b.Events {
		if !strings.HasPrefix(e.Kind, "pdu_") && !strings.HasPrefix(e.Kind, "long_retry") && !strings.HasPrefix(e.Kind, "probe_") {
			c.Events = append(c.Events, e)
		}
	}
	return &c
}

// TestLossyLinkSameTables: two collectors, one behind a perfect link and
// one behind 20 % loss, 10 % duplication, 10 % reordering and 5 %
// corruption (each way), build the same tables from the lab captures
// (issue 6; design 1.2: duplicated central sites build the same tables).
func TestLossyLinkSameTables(t *testing.T) {
	lab := filepath.Join(samplesDir(t), "lab")
	for _, capture := range []string{"dns-snmp-ntp/A.pcap", "ftp/A.pcap", "tcp-mix/B.pcap"} {
		t.Run(capture, func(t *testing.T) {
			f, err := replay.Open(filepath.Join(lab, capture))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			cfg := config.Default()
			cfg.IntervalS = 10
			res, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: f}}, pipeline.Options{
				Config: cfg, Probes: []probe.Identity{{Name: "A"}}, Merge: merge,
				Collectors: []pipeline.Collector{
					{Name: "perfect", Sender: pdu.DefaultSenderConfig()},
					{Name: "lossy", Sender: pdu.DefaultSenderConfig(), Faults: pdu.Faults{LossRate: 0.2, DupRate: 0.1, ReorderRate: 0.1, CorruptRate: 0.05, Seed: 7}},
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			perfect, lossy := withoutTransportEvents(res.Batches[0]), withoutTransportEvents(res.Batches[1])
			if !reflect.DeepEqual(perfect, lossy) {
				for table, n := range perfect.Len() {
					if m := lossy.Len()[table]; m != n {
						t.Errorf("%s: %d rows over the perfect link, %d over the lossy one", table, n, m)
					}
				}
				pv, lv := reflect.ValueOf(*perfect), reflect.ValueOf(*lossy)
				for i := 0; i < pv.NumField(); i++ {
					a, b := pv.Field(i), lv.Field(i)
					for j := 0; j < a.Len() && j < b.Len(); j++ {
						if !reflect.DeepEqual(a.Index(j).Interface(), b.Index(j).Interface()) {
							t.Errorf("%s row %d:\n perfect %+v\n lossy   %+v", pv.Type().Field(i).Name, j, a.Index(j).Interface(), b.Index(j).Interface())
							break
						}
					}
				}
				t.Fatal("tables differ")
			}
			s := res.Senders[1]
			if s.Retransmits == 0 || res.Links[0][1].Lost == 0 {
				t.Errorf("no loss was injected: %+v %+v", s, res.Links[0][1])
			}
			var destroyed uint64
			for _, n := range s.Destroyed {
				destroyed += n
			}
			if destroyed != 0 || s.Unacked != 0 {
				t.Errorf("lossy channel: %d PDUs destroyed, %d unacknowledged", destroyed, s.Unacked)
			}
			t.Logf("%s: %d PDUs, %d retransmissions over the lossy link (%d frames lost)", capture, sum(s.PDUs[:]), s.Retransmits, res.Links[0][1].Lost)
		})
	}
}

func sum(v []uint64) (n uint64) {
	for _, x := range v {
		n += x
	}
	return n
}
