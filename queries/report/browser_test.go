package report

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/tmonbench/tmonbench/internal/testdb"
	"github.com/tmonbench/tmonbench/internal/testenv"
)

// chromium finds a Chromium binary (Debian package chromium). Without one
// the test is skipped locally and fails under CI=true (internal/testenv).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return testenv.Tool(t, "chromium")
}

// TestReportInChromium opens the lab report in headless Chromium: it
// renders without any network request, every chart holds data points,
// its time labels clear of each other, the tables hold rows, and a screenshot is saved with the test output
// (go test -artifacts keeps it; the path is logged).
func TestReportInChromium(t *testing.T) {
	bin := chromium(t)
	db := testdb.Open(t, labOut(t))
	d, err := Build(context.Background(), db, Options{Source: "lab", Title: "tmonbench report: lab captures"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.ArtifactDir()
	tctx, requests := openReport(t, bin, d, filepath.Join(dir, "report.html"), 1400)
	points, err := chromedp.Run(tctx, chromedp.Evaluate[[]int](`window.reportCharts.map(c => c.chart.getOption().series.reduce((n, s) => n + s.data.filter(p => p !== null && (!Array.isArray(p) || p[1] !== null)).length, 0))`))
	if err != nil {
		t.Fatal(err)
	}
	// the time axes as drawn: [min, max] in Unix ms
	axes, err := chromedp.Run(tctx, chromedp.Evaluate[[][]float64](`window.reportCharts.slice(0, `+fmt.Sprint(len(d.Series))+`).map(c => c.chart.getModel().getComponent("xAxis", 0).axis.scale.getExtent())`))
	if err != nil {
		t.Fatal(err)
	}
	labels, err := chromedp.Run(tctx, chromedp.Evaluate[[][]axisLabel](axisLabelsJS))
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range labels { // every label clear of the next (TestShortCaptureTimeLabels)
		checkTimeLabels(t, d.Series[min(i, len(d.Series)-1)].Title, l)
	}
	tableRows, err := chromedp.Run(tctx, chromedp.Evaluate[int](`document.querySelectorAll("tbody tr").length`))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range requests() {
		if !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the report requested %s", u)
		}
	}
	want := len(d.Series) + len(d.Histograms) + len(d.Top)
	if len(points) != want {
		t.Errorf("%d charts drawn, want %d", len(points), want)
	}
	for i, n := range points {
		if n == 0 {
			t.Errorf("chart %d has no data point", i)
		}
	}
	// Each time axis runs from the first interval's start to the last
	// one's end (a chart of one 10 s interval had a 2-day axis).
	for i, s := range d.Series {
		want := []float64{float64(s.T[0]), float64(s.T[len(s.T)-1] + s.StepMs)}
		if i >= len(axes) || !slices.Equal(axes[i], want) || s.StepMs != 10_000 {
			t.Errorf("%s: time axis %.0f, want %.0f (%d ms intervals)", s.Title, axes[min(i, len(axes)-1)], want, s.StepMs)
		}
	}
	rows := 0
	for _, tb := range d.Tables {
		rows += len(tb.Rows)
	}
	if tableRows != rows || rows == 0 {
		t.Errorf("%d table rows drawn, want %d", tableRows, rows)
	}
	png := filepath.Join(dir, "report.png")
	if err := os.WriteFile(png, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d charts (%v points), %d table rows, %d requests (all file://); screenshot %s", len(points), points, tableRows, len(requests()), png)
}

// openReport writes d as page and opens it in headless Chromium (bin)
// with a window width px wide, until window.reportReady: the context to
// evaluate in (90 s from the page's opening) and the URLs the page
// requested so far.
func openReport(t *testing.T, bin string, d *Data, page string, width int) (context.Context, func() []string) {
	t.Helper()
	f, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	if err := Write(w, d); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	f.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox, // tests run as root in CI
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.WindowSize(width, 1000),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	var mu sync.Mutex
	var requests []string
	// The first call starts the browser: no timeout on its context.
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	tctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel)
	if err := chromedp.Do(tctx, chromedp.Navigate("file://"+page)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(tctx, chromedp.Poll[bool]("window.reportReady === true", chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		t.Fatal(err)
	}
	return tctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(requests)
	}
}
