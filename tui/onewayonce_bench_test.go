package tui

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/testdb"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// copiedOneway is lab/oneway-udp replayed at its four capture points
// (testsamples.ReplayOnewayLab) with its oneway_delays parts copied n
// times beside them (copy001-part-…): an output merged from n+1 sources
// of the same observations, each measured packet's row n+1 times.
func copiedOneway(tb testing.TB, n int) string {
	return copiedOnewayRows(tb, n, false)
}

// copiedOnewayRows is copiedOneway, each copy's flow_id its number
// millions more when distinct: as many rows, none twice (an output
// without copies).
func copiedOnewayRows(tb testing.TB, n int, distinct bool) string {
	tb.Helper()
	out := testsamples.ReplayOnewayLab(tb, testsamples.LabPath)
	err := filepath.WalkDir(filepath.Join(out, observe.TableOnewayDelays), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".parquet") || strings.HasPrefix(d.Name(), "copy") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i := 1; i <= n; i++ {
			to := filepath.Join(filepath.Dir(p), fmt.Sprintf("copy%03d-%s", i, d.Name()))
			if distinct {
				testdb.Query(tb, out, fmt.Sprintf("COPY (SELECT * REPLACE ((flow_id + %d)::UBIGINT AS flow_id) FROM read_parquet('%s')) TO '%s' (FORMAT parquet)", i*1_000_000, p, to))
				continue
			}
			if err := os.WriteFile(to, b, 0o644); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// BenchmarkOnewayOnce opens the One-way screen of the lab's output with
// its oneway_delays parts copied 200 times (copiedOneway: 201 rows of
// each measured packet: 4,008,141 rows, 19,941 distinct) and reports the time to
// its first page with the count, then per sort (s on the first column,
// twice: ascending, descending) and per filter applied, each with its
// count; then the same over as many rows none twice (distinct: the
// plain source's). The queries run one after the other here, as Cmds.
//
//	go test ./tui -run '^$' -bench OnewayOnce -benchtime 3x
func BenchmarkOnewayOnce(b *testing.B) {
	b.Run("copies", func(b *testing.B) { benchOneway(b, copiedOneway(b, 200)) })
	b.Run("distinct", func(b *testing.B) { benchOneway(b, copiedOnewayRows(b, 200, true)) })
}

func benchOneway(b *testing.B, out string) {
	var first, sort, filter time.Duration
	const sorts = 2
	for b.Loop() {
		m, err := New(Options{Out: out, Renderer: testRenderer()})
		if err != nil {
			b.Fatal(err)
		}
		m.e.outPoll = 0
		drive(b, m, tea.WindowSizeMsg{Width: 160, Height: 40})
		pt := m.tabs[5].(*pagedTable)
		first += driveUntil(b, m, time.Now(), func() bool { return len(pt.rows) > 0 && pt.total >= 0 }, keyMsg("6"))
		all := pt.total
		if all <= 0 {
			b.Fatalf("One-way screen: total %d, %s", pt.total, m.e.errMsg)
		}
		for range sorts {
			sort += driveUntil(b, m, time.Now(), func() bool { return len(pt.rows) > 0 && pt.total >= 0 }, keyMsg("s"))
		}
		drive(b, m, keyMsg("/"))
		for _, r := range "where from_hop_index = 0" {
			drive(b, m, keyMsg(string(r)))
		}
		filter += driveUntil(b, m, time.Now(), func() bool { return len(pt.rows) > 0 && pt.total >= 0 }, keyMsg("enter"))
		if pt.total <= 0 || pt.total >= all {
			b.Fatalf("filtered One-way screen: %d rows of %d, %s", pt.total, all, m.e.errMsg)
		}
		m.Close()
	}
	n := float64(b.N)
	b.ReportMetric(float64(first.Milliseconds())/n, "ms/first-page")
	b.ReportMetric(float64(sort.Milliseconds())/n/sorts, "ms/sort")
	b.ReportMetric(float64(filter.Milliseconds())/n, "ms/filter")
}
