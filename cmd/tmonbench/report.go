package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/tmonbench/tmonbench/queries"
	"github.com/tmonbench/tmonbench/queries/report"
)

// reportFlags are report's flags that choose what the page covers and
// its title: report.Options.
type reportFlags struct {
	from, to, activity, location, title *string
}

func addReportFlags(fs *pflag.FlagSet) reportFlags {
	return reportFlags{
		from:     fs.String("from", "", "capture `TIME` the report starts at (RFC 3339 or YYYY-MM-DD, UTC)"),
		to:       fs.String("to", "", "capture `TIME` the report ends before (RFC 3339 or YYYY-MM-DD, UTC)"),
		activity: fs.String("activity", "", "only traffic with an address of this `ACTIVITY` (enrich.networks)"),
		location: fs.String("location", "", "only traffic with an address of this `LOCATION` (enrich.networks)"),
		title:    fs.String("title", "tmonbench report", "page `TITLE`"),
	}
}

// options turns the flags into report options: --from and --to read by
// parseTime, a range that would leave the report empty refused (usage
// errors).
func (f reportFlags) options() (report.Options, error) {
	opt := report.Options{Activity: *f.activity, Location: *f.location, Title: *f.title}
	var err error
	if opt.From, err = parseTime(*f.from); err != nil {
		return opt, usageErr("report: --from: %v", err)
	}
	if opt.To, err = parseTime(*f.to); err != nil {
		return opt, usageErr("report: --to: %v", err)
	}
	if !opt.From.IsZero() && !opt.To.IsZero() && !opt.To.After(opt.From) {
		return opt, usageErr("report: --from %s is not before --to %s: the report would be empty", *f.from, *f.to)
	}
	return opt, nil
}

func cmdReport(fs *pflag.FlagSet) (string, runFunc) {
	out := fs.String("out", "./tmon-out", "output `DIR` prepared by tmonbench rollup")
	file := fs.StringP("output", "o", "report.html", "HTML `FILE` to write")
	rf := addReportFlags(fs)
	return "Usage: tmonbench report [flags] -o report.html\n\nWrites one self-contained HTML report (tables and interactive charts, no network needed)\nfrom an output prepared by tmonbench rollup.", func(args []string, stdout, stderr io.Writer) error {
		opt, err := rf.options()
		if err != nil {
			return err
		}
		opt.Source, opt.Generated = *out, time.Now().UTC()
		if abs, err := filepath.Abs(*out); err == nil {
			opt.Source = abs
		}
		db, err := queries.Open(*out)
		if err != nil {
			return err
		}
		defer db.Close()
		noteRollupsBehind(stderr, "report", *out)
		opt.Empty = emptyReasons(db, *out) // an empty table says why, as query does
		d, err := report.Build(context.Background(), db, opt)
		if errors.Is(err, report.ErrNotPrepared) { // name the folder: `tmonbench rollup` alone prepares ./tmon-out
			return fmt.Errorf("report: the report reads the rollups and the addresses table, which %s does not hold yet: run `tmonbench rollup --out %s` first", *out, *out)
		}
		if err != nil {
			return err
		}
		f, err := os.Create(*file)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		w := bufio.NewWriter(f)
		if err := report.Write(w, d); err != nil {
			f.Close()
			return err
		}
		if err := w.Flush(); err != nil {
			f.Close()
			return fmt.Errorf("report: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		if d.Empty() { // still written, exit 0: as a replay of a capture without a packet
			warnf(stderr, "report", "no rows %s: the report has no charts", emptyScope(opt, *out))
		}
		fmt.Fprintf(stdout, "tmonbench report: %s (%d charts, %d tables)\n", *file, len(d.Series)+len(d.Histograms)+len(d.Top), len(d.Tables))
		return nil
	}
}

// emptyScope says what a report without rows covered: its filters and
// its range ("of activity X between FROM and TO", "in DIR" with none).
func emptyScope(opt report.Options, out string) string {
	s := ""
	if opt.Activity != "" {
		s += fmt.Sprintf("of activity %q ", opt.Activity)
	}
	if opt.Location != "" {
		s += fmt.Sprintf("at location %q ", opt.Location)
	}
	from, to := opt.From.Format(time.RFC3339Nano), opt.To.Format(time.RFC3339Nano)
	switch {
	case !opt.From.IsZero() && !opt.To.IsZero():
		return s + "between " + from + " and " + to
	case !opt.From.IsZero():
		return s + "from " + from + " on"
	case !opt.To.IsZero():
		return s + "before " + to
	}
	return s + "in " + out
}

// parseTime reads an RFC 3339 time or a YYYY-MM-DD date (UTC); "" is the
// zero time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: want RFC 3339 (2026-11-29T14:00:00Z) or a date (2026-11-29)", s)
}
