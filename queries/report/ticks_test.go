package report

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/queries"
)

// axisLabelsJS returns, per time-series chart, the labels of its x axis as
// ECharts lays them out: text (rich-text markup taken off), the x of the
// label's centre and its width in px (measured in bold 12 px sans-serif,
// the wider of the two styles ECharts draws them in), and the tick's time
// in Unix ms.
const axisLabelsJS = `window.reportCharts.filter(c => c.chart.getOption().xAxis[0].type === "time").map(c => {
  const axis = c.chart.getModel().getComponent("xAxis", 0).axis;
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = "bold 12px sans-serif";
  return axis.getViewLabels().map(l => {
    const text = String(l.formattedLabel).replace(/\{[a-zA-Z0-9_]+\|([^}]*)\}/g, "$1");
    const t = l.tick ? l.tick.value : l.tickValue;
    return {text: text, x: axis.toGlobalCoord(axis.dataToCoord(t)), w: ctx.measureText(text).width, t: t};
  });
})`

// axisLabel is one label of axisLabelsJS.
type axisLabel struct {
	Text string  `json:"text"`
	X    float64 `json:"x"`
	W    float64 `json:"w"`
	T    float64 `json:"t"`
}

// TestShortCaptureTimeLabels: the time axes of a capture shorter than a
// minute (samples/chrissanders_dns_lab.pcapng, 3.4 s: capinfos) are
// labelled in whole seconds without two labels running into each other
// (8 px apart at least), at 60 s intervals (one interval, a 60 s axis)
// and 1 s intervals (a 5 s axis), in a wide window (1400 px: charts side
// by side, a 563 px axis) and a narrow one (600 px: one chart a row, 454
// px). The 60 s axis in the wide window has a label every 10 s: at most
// one label every 80 px (48 px for "14:45:05" and a gap), 563/80 = 7
// labels, 60 s / 7 = 8.6 s, the next round step 10 s. Before, ECharts put
// one every 5 s whatever the width: 13 labels of 48 px on 563 and 454 px.
func TestShortCaptureTimeLabels(t *testing.T) {
	bin := chromium(t)
	capture := filepath.Join(testout.ModuleRoot(t), "samples", "chrissanders_dns_lab.pcapng")
	for _, interval := range []string{"60", "1"} {
		out := filepath.Join(t.TempDir(), "dns")
		testout.Run(t, "replay", "-q", "--rollup", "--progress", "never", "--interval", interval, "--out", out, capture)
		db, err := queries.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		d, err := Build(context.Background(), db, Options{Source: "dns", Title: "a capture of 3.4 s"})
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, width := range []int{1400, 600} {
			ctx, _ := openReport(t, bin, d, filepath.Join(t.TempDir(), "report.html"), width)
			charts, err := chromedp.Run(ctx, chromedp.Evaluate[[][]axisLabel](axisLabelsJS))
			if err != nil {
				t.Fatal(err)
			}
			if len(charts) != len(d.Series) || len(charts) == 0 {
				t.Fatalf("--interval %s, %d px: %d time axes, want %d", interval, width, len(charts), len(d.Series))
			}
			for i, labels := range charts {
				name := fmt.Sprintf("--interval %s, %d px, %s", interval, width, d.Series[i].Title)
				checkTimeLabels(t, name, labels)
				if interval == "60" && width == 1400 {
					want := []string{"14:45", "14:45:10", "14:45:20", "14:45:30", "14:45:40", "14:45:50", "14:46"}
					if got := texts(labels); !slices.Equal(got, want) {
						t.Errorf("%s: labels %q, want %q", name, got, want)
					}
				}
			}
		}
	}
}

// checkTimeLabels fails when two labels of an axis (sorted by x) come
// closer than 8 px, or one is not on a whole second.
func checkTimeLabels(t *testing.T, name string, labels []axisLabel) {
	t.Helper()
	slices.SortFunc(labels, func(a, b axisLabel) int { return int(a.X - b.X) })
	if len(labels) < 2 {
		t.Errorf("%s: %d label(s): %q", name, len(labels), texts(labels))
	}
	for i := range labels {
		if int64(labels[i].T)%1000 != 0 {
			t.Errorf("%s: label %q at %.0f ms: not a whole second", name, labels[i].Text, labels[i].T)
		}
		if i == 0 {
			continue
		}
		a, b := labels[i-1], labels[i]
		if gap := (b.X - b.W/2) - (a.X + a.W/2); gap < 8 {
			t.Errorf("%s: labels %q and %q %.1f px apart (want 8 or more): %q", name, a.Text, b.Text, gap, texts(labels))
		}
	}
}

// texts are the labels' texts.
func texts(labels []axisLabel) []string {
	var s []string
	for _, l := range labels {
		s = append(s, strings.TrimSpace(l.Text))
	}
	return s
}
