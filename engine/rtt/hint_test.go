package rtt

import (
	"reflect"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestHintsSameSamples: the samples and unanswered requests do not depend
// on the hints a caller keeps (issue 14: the flow record's handle replaces
// the connection map). A hint per 5-tuple, per address pair (a coarser
// flow) and one hint shared by every packet (always stale) give Packet's
// results on every committed capture, timestamped TCP among them.
func TestHintsSameSamples(t *testing.T) {
	files := testsamples.Captures(t)
	tsSamples := 0
	for _, f := range files {
		pkts := readCapture(t, f)
		want := run(t, DefaultConfig(), pkts)
		tsSamples += len(want.byKind("tcp_ts"))
		perConn := map[connKey]*Hint{}
		perPair := map[[2]string]*Hint{}
		var shared Hint
		hinters := map[string]func(d *dissect.Dissection) *Hint{
			"per connection": func(d *dissect.Dissection) *Hint {
				k, _ := canonical(d)
				if perConn[k] == nil {
					perConn[k] = new(Hint)
				}
				return perConn[k]
			},
			"per address pair": func(d *dissect.Dissection) *Hint {
				k, _ := canonical(d)
				p := [2]string{k.a.String(), k.b.String()}
				if perPair[p] == nil {
					perPair[p] = new(Hint)
				}
				return perPair[p]
			},
			"shared": func(*dissect.Dissection) *Hint { return &shared },
		}
		for name, h := range hinters {
			got := runHinted(DefaultConfig(), pkts, h)
			if !reflect.DeepEqual(got.samples, want.samples) || !reflect.DeepEqual(got.unanswered, want.unanswered) || got.tr.Stats() != want.tr.Stats() {
				t.Errorf("%s, a hint %s: %d samples, %v unanswered; Packet: %d, %v", f, name, len(got.samples), got.unanswered, len(want.samples), want.unanswered)
			}
		}
	}
	if tsSamples < 100 {
		t.Fatalf("only %d tcp_ts samples in the committed captures", tsSamples)
	}
	t.Logf("%d captures, %d tcp_ts samples", len(files), tsSamples)
}
