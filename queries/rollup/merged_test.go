package rollup

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/testdb"
	"github.com/tmonbench/tmonbench/queries"
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
	out := mergedBeforePlacing(t, hopStart, hopStart+10e9)
	if got := testdb.Query(t, out, "SELECT count(*) FROM oneway_loss WHERE from_hop_index IS NULL"); got != "4\n" {
		t.Fatalf("older parts' rows with NULL indices: %s, want hopRows' 4", got)
	}
	rollupOf(t, out)
	checkOnePairRow(t, out)
}

// mergedBeforePlacing returns an output as tmonbench merge wrote one
// before it placed the older rows' hops: the one-way tables of
// hopRows(newStart) beside the parts of oldHopRows(oldStart) (no hop
// index columns).
func mergedBeforePlacing(t *testing.T, oldStart, newStart int64) string {
	t.Helper()
	old := oldHopRows(t, oldStart)
	out := hopRows(t, newStart)
	for _, table := range onewayTables {
		testdb.CopyParts(t, old, out, table)
	}
	return out
}

// TestRawOnewayOldNewOnePair: the raw one-way queries (oneway, ipdv,
// loss-pattern, short and wide) over an output merged before merge placed
// the older rows' hops (mergedBeforePlacing: NULL indices in the older
// parts) list each hop pair once, along the lab's return path, with its
// counts once (queries.OnewayRowsMacro). Two intervals (older 00:00:00,
// newer 00:00:10): each pair's two rows together, 8 rows, 2 + 2 sent and
// delivered, 3 IPDV pairs (RFC 3393: consecutive packets, the newer
// interval's first with the older's last). The same interval (two
// collectors of the same observations, one older): 4 rows, as either
// source alone (hopRows: 2 sent, 2 delivered, one IPDV pair of its 2
// delays), not 8 rows nor 4 sent. Before, the older rows came after the
// newer, alphabetically (B>RS RS>RC RC>A B>A B>A B>RS RC>A RS>RC), and
// the same observations counted twice.
func TestRawOnewayOldNewOnePair(t *testing.T) {
	path := []string{"B>RS", "RS>RC", "RC>A", "B>A"}
	for _, c := range []struct {
		name     string
		oldStart int64
		rows     int
		sums     map[string]int64 // per hop pair, of the columns a query has
	}{
		{"two intervals", hopStart, 8, map[string]int64{"sent": 4, "delivered": 4, "pairs": 3}},
		{"same observations", hopStart + 10e9, 4, map[string]int64{"sent": 2, "delivered": 2, "pairs": 1}},
	} {
		out := mergedBeforePlacing(t, c.oldStart, hopStart+10e9)
		db := testdb.Open(t, out)
		for _, name := range []string{"oneway", "ipdv", "loss-pattern"} {
			q, err := queries.Get(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, form := range []struct{ name, sql string }{{"", q.SQL}, {" --wide", q.Wide}} {
				res, err := queries.Run(db, form.sql)
				if err != nil {
					t.Fatalf("%s%s: %v", name, form.name, err)
				}
				var runs []string // the hop pairs as they come, each run once
				sums := map[string]int64{}
				for _, r := range res.Rows {
					h := hopPairOf(res, r)
					if len(runs) == 0 || runs[len(runs)-1] != h {
						runs = append(runs, h)
					}
					for col := range c.sums {
						if i := slices.Index(res.Columns, col); i >= 0 {
							sums[h+" "+col] += queries.Int64(r[i])
						}
					}
				}
				for _, h := range path {
					for col, want := range c.sums {
						if got, ok := sums[h+" "+col]; ok && got != want {
							t.Errorf("%s, %s%s: %s %s %d, want %d", c.name, name, form.name, h, col, got, want)
						}
					}
				}
				if !reflect.DeepEqual(runs, path) || len(res.Rows) != c.rows {
					t.Errorf("%s, %s%s: %d rows, hop pairs %v, want %d rows, each pair once along %v", c.name, name, form.name, len(res.Rows), runs, c.rows, path)
				}
			}
		}
	}
}

// hopPairOf returns row r's hop pair, A>B, from its hops column or its
// from_hop and to_hop (--wide).
func hopPairOf(res *queries.Result, r []any) string {
	if i := slices.Index(res.Columns, "hops"); i >= 0 {
		return r[i].(string)
	}
	return r[slices.Index(res.Columns, "from_hop")].(string) + ">" + r[slices.Index(res.Columns, "to_hop")].(string)
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
