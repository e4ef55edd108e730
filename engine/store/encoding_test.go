package store

import (
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go/format"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/testout"
)

// chunkEncodings returns the encodings of each column chunk of the file
// at path, by column name (the first row group's).
func chunkEncodings(t *testing.T, path string) map[string][]format.Encoding {
	t.Helper()
	md := openMeta(t, path)
	out := map[string][]format.Encoding{}
	for _, c := range md.RowGroups[0].Columns {
		out[c.MetaData.PathInSchema[0]] = c.MetaData.Encoding
	}
	return out
}

// TestColumnEncodings: timestamp and id columns are DELTA_BINARY_PACKED,
// other integers PLAIN, dictionary strings RLE_DICTIONARY (Parquet format
// Encodings.md; optionsFor), in a part Write writes and in one Run.Write
// streams; an optional timestamp (a pointer field) stays PLAIN; the rows
// read back are the rows written.
func TestColumnEncodings(t *testing.T) {
	flows := make([]observe.Flow, 5000)
	for i := range flows {
		flows[i] = observe.Flow{FlowID: uint64(i + 1), Probe: "p1", Class: "all", SrcPort: uint16(40000 + i*7919%20000),
			FirstSeen: 1764426960000000000 + int64(i)*1e6, LastSeen: 1764426960000000000 + int64(i)*3e6, Packets: uint64(i*31%97 + 1)}
	}
	path, err := Write(t.TempDir(), observe.TableFlows, 0, flows)
	if err != nil {
		t.Fatal(err)
	}
	delta, plain, dict := []format.Encoding{format.DeltaBinaryPacked}, []format.Encoding{format.Plain}, []format.Encoding{format.Plain, format.RLEDictionary}
	optional := []format.Encoding{format.Plain, format.RLE} // RLE: the definition levels
	want := map[string][]format.Encoding{"flow_id": delta, "first_seen": delta, "last_seen": delta, "packets": plain, "src_port": plain, "probe": dict}
	got := chunkEncodings(t, path)
	for col, w := range want {
		if !slices.Equal(got[col], w) {
			t.Errorf("flows.%s encodings %v, want %v", col, got[col], w)
		}
	}

	out := filepath.Join(t.TempDir(), "out")
	r, err := BeginRun(out, testManifest())
	if err != nil {
		t.Fatal(err)
	}
	send := int64(1764426960000000000)
	b := &observe.Batch{
		FlowCounters: []observe.FlowCounter{{Probe: "p1", FlowID: 7, IntervalStart: send, Metric: "packets", N: 3, Sum: 3}},
		OnewayDelays: []observe.OnewayDelay{{Class: "c", FlowID: 1, Flow: "f", FromHop: "A", ToHop: "B", SendTime: &send, SizeBytes: 100}},
	}
	if err := r.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := r.Finish(); err != nil {
		t.Fatal(err)
	}
	for table, cols := range map[string]map[string][]format.Encoding{
		observe.TableFlowCounters: {"flow_id": delta, "interval_start": delta, "n": plain, "metric": dict},
		observe.TableOnewayDelays: {"flow_id": delta, "send_time": optional, "size_bytes": plain},
	} {
		parts, _ := filepath.Glob(filepath.Join(out, table, "*", "*", "part-00000.parquet"))
		if len(parts) != 1 {
			t.Fatalf("%s parts %v", table, parts)
		}
		got := chunkEncodings(t, parts[0])
		for col, w := range cols {
			if !slices.Equal(got[col], w) {
				t.Errorf("%s.%s encodings %v, want %v", table, col, got[col], w)
			}
		}
	}
	back := testout.ReadBatch(t, out, observe.TableNamed(observe.TableFlowCounters)).FlowCounters
	if !reflect.DeepEqual(back, b.FlowCounters) {
		t.Errorf("flow_counters read back %+v, want %+v", back, b.FlowCounters)
	}
	back2 := testout.ReadBatch(t, out, observe.TableNamed(observe.TableOnewayDelays)).OnewayDelays
	if !reflect.DeepEqual(back2, b.OnewayDelays) {
		t.Errorf("oneway_delays read back %+v, want %+v", back2, b.OnewayDelays)
	}
}
