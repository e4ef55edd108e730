package tui

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/testdb"
	"github.com/tmonbench/tmonbench/internal/testsamples"
	"github.com/tmonbench/tmonbench/queries"
)

// TestOnewayScreenOnce: the One-way screen (the raw oneway_delays) of an
// output merged from two collectors of the same observations lists each
// measured packet once, as the flow detail and the one-way queries do
// (oneway_rows, TestDetailMergedOldNewOnePair): lab/oneway-udp replayed
// at its four capture points beside a copy of its oneway_delays parts,
// once as they are (tmonbench merge now: rows alike) and once without the
// hop indices (a source written before them, merged before merge placed
// them). The screen counted and listed every row twice; its rows are now
// those of the replay alone (as many as `SELECT count(*) FROM
// oneway_rows(oneway_delays)`), first page row for row.
func TestOnewayScreenOnce(t *testing.T) {
	for _, old := range []bool{false, true} {
		out := testsamples.ReplayOnewayLab(t, testsamples.LabPath)
		alone := onewayScreen(t, out)
		if alone.onceTable != "" || !strings.Contains(alone.src, "read_parquet") {
			t.Errorf("One-way screen of a replay (no row twice, every hop index): pages %s (rows once in %q), want its plain source (mayRepeat)", alone.src, alone.onceTable)
		}
		copied := filepath.Join(t.TempDir(), "copy")
		if err := os.CopyFS(copied, os.DirFS(out)); err != nil {
			t.Fatal(err)
		}
		if old {
			testdb.DropColumns(t, copied, observe.TableOnewayDelays, "from_hop_index", "to_hop_index")
		}
		testdb.CopyParts(t, copied, out, observe.TableOnewayDelays)
		if got, want := testdb.Query(t, out, "SELECT count(*) FROM oneway_delays"), testdb.Query(t, out, "SELECT 2 * count(*) FROM oneway_rows(oneway_delays)"); got != want || alone.total == 0 {
			t.Fatalf("old %v: merged output holds %s rows, want twice the distinct %s", old, got, want)
		}
		merged := onewayScreen(t, out)
		if merged.onceTable == "" || merged.src != merged.onceTable {
			t.Errorf("old %v: One-way screen of the merged output pages %s, want its rows once (onceSource, materialise)", old, merged.src)
		}
		if merged.total != alone.total || !reflect.DeepEqual(values(merged.rows), values(alone.rows)) {
			t.Errorf("old %v: One-way screen of the merged output: %d rows, want the replay's %d, its rows", old, merged.total, alone.total)
		}
		if want := testdb.Query(t, out, "SELECT count(*) FROM oneway_rows(oneway_delays)"); want != itoa(merged.total)+"\n" {
			t.Errorf("old %v: One-way screen %d rows, oneway_rows(oneway_delays) %s", old, merged.total, want)
		}
	}
}

// onewayScreen opens out's One-way screen and returns it loaded.
func onewayScreen(t *testing.T, out string) *pagedTable {
	t.Helper()
	_, pt := onewayModel(t, out)
	return pt
}

// onewayModel is onewayScreen with its model.
func onewayModel(t *testing.T, out string) (*Model, *pagedTable) {
	t.Helper()
	m := newTestModel(t, out)
	m.w, m.h = 160, 40
	drive(t, m, keyMsg("6"))
	pt := m.tabs[5].(*pagedTable)
	if pt.failed || pt.total < 0 || len(pt.rows) == 0 {
		t.Fatalf("One-way screen of %s: total %d, %d rows, %s", out, pt.total, len(pt.rows), m.e.errMsg)
	}
	return m, pt
}

// values are the rows' shown values.
func values(rows []queries.Row) [][]any {
	var vs [][]any
	for _, r := range rows {
		vs = append(vs, r.Values)
	}
	return vs
}

func itoa(n int64) string { return queries.Text(n, "BIGINT") }
