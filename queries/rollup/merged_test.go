package rollup

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/testdb"
	"github.com/tmonbench/tmonbench/queries/dataset"
)

// onewayTables are the tables with hop indices.
var onewayTables = []string{observe.TableOnewayLoss, observe.TableOnewayLatency, observe.TableOnewayDelays}

// oldHopRows is hopRows(t, start) as a tmonbench written before the hop
// indices left it: the columns dropped.
func oldHopRows(t *testing.T, start int64) string {
	t.Helper()
	out := hopRows(t, start)
	for _, table := range onewayTables {
		testdb.DropColumns(t, out, table, "from_hop_index", "to_hop_index")
	}
	return out
}

// onePairRow is what every rollup of two hopRows intervals holds, one row
// per hop pair of the lab's return path at its positions (B 0, RS 1, RC 2,
// A 3) with 2 + 2 datagrams sent (oneway_loss) and 2 + 2 delays
// (oneway_latency's n), ordered as the one-way queries order pairs.
const onePairRow = "B RS 0 1 4\nRS RC 1 2 4\nRC A 2 3 4\nB A 0 3 4\n"

// checkOnePairRow checks every rollup level of out against onePairRow,
// and that oneway-hourly lists each pair once, along the path.
func checkOnePairRow(t *testing.T, out string) {
	t.Helper()
	order := " ORDER BY to_hop_index - from_hop_index, from_hop_index"
	for _, l := range Levels {
		for table, count := range map[string]string{"oneway_loss" + l.Suffix: "sent", "oneway_latency" + l.Suffix: "n"} {
			if got := testdb.Query(t, out, "SELECT from_hop, to_hop, from_hop_index, to_hop_index, "+count+" FROM "+table+order); got != onePairRow {
				t.Errorf("%s:\n%s\nwant one row per hop pair:\n%s", table, got, onePairRow)
			}
		}
	}
	if got, path := hopsOf(t, out, "oneway-hourly"), []string{"B>RS", "RS>RC", "RC>A", "B>A"}; !reflect.DeepEqual(got, path) {
		t.Errorf("oneway-hourly: hops %v, want each pair once along the path %v", got, path)
	}
}

// TestRollupOldNewOnePairRow: a one-way table holding parts written
// before the hop indices (NULL there: queries.Open) and after, as an
// output merged (tmonbench merge) before merge placed the older rows'
// hops, rolls up to one row per hop pair and bucket: both intervals'
// counts (hopRows: 00:00:00 in the older parts, 00:00:10 in the newer)
// and the newer parts' indices. Grouped by the indices too, each bucket
// had two rows per pair (NULL indices and 2 sent, the positions and 2
// sent), and oneway-hourly listed each pair twice.
func TestRollupOldNewOnePairRow(t *testing.T) {
	old := oldHopRows(t, hopStart)
	out := hopRows(t, hopStart+10e9)
	for _, table := range onewayTables {
		err := filepath.WalkDir(filepath.Join(old, table), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".parquet") {
				return err
			}
			rel, err := filepath.Rel(old, p)
			if err != nil {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(out, filepath.Dir(rel), "old-"+filepath.Base(rel)), b, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := testdb.Query(t, out, "SELECT count(*) FROM oneway_loss WHERE from_hop_index IS NULL"); got != "4\n" {
		t.Fatalf("older parts' rows with NULL indices: %s, want hopRows' 4", got)
	}
	rollupOf(t, out)
	checkOnePairRow(t, out)
}

// TestMergeOldNewPlacesHops: tmonbench merge of an output written before
// the hop indices and one after gives the older rows the pair's indices
// of the newer: two outputs of the same observations (duplicated
// collectors, one older; hopRows' same interval) are one row per pair
// (4 oneway_loss rows of 2 sent, 8 oneway_delays rows, as either source
// holds), where the NULL indices kept both sources' rows (8 and 16); two
// intervals (00:00:00 older, 00:00:10 newer) roll up to one row per pair.
func TestMergeOldNewPlacesHops(t *testing.T) {
	merge := func(srcs ...string) string {
		t.Helper()
		out := filepath.Join(t.TempDir(), "merged")
		if err := os.Mkdir(out, 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := dataset.Merge(context.Background(), out, srcs); err != nil {
			t.Fatal(err)
		}
		return out
	}
	same := merge(oldHopRows(t, hopStart), hopRows(t, hopStart))
	for _, c := range []struct{ table, want string }{
		{observe.TableOnewayLoss, "4 4 2\n"},
		{observe.TableOnewayDelays, "8 8 2\n"},
	} {
		q := "SELECT count(*), count(from_hop_index), max(sent) FROM " + c.table
		if c.table == observe.TableOnewayDelays {
			q = "SELECT count(*), count(to_hop_index), count(DISTINCT signature) FROM " + c.table
		}
		if got := testdb.Query(t, same, q); got != c.want {
			t.Errorf("same observations, %s: rows, placed rows, sent or signatures %q, want %q", c.table, got, c.want)
		}
	}

	two := merge(oldHopRows(t, hopStart), hopRows(t, hopStart+10e9))
	if got := testdb.Query(t, two, "SELECT count(*) FROM oneway_loss WHERE from_hop_index IS NULL OR to_hop_index IS NULL"); got != "0\n" {
		t.Errorf("merged rows with NULL indices: %s, want 0", got)
	}
	rollupOf(t, two)
	checkOnePairRow(t, two)
}
