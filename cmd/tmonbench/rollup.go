package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/queries"
	"github.com/tmonbench/tmonbench/queries/enrich"
	"github.com/tmonbench/tmonbench/queries/rollup"
)

// enrichFlags are the flags of the commands that write the addresses table.
type enrichFlags struct {
	config *string
	geoip  *[]string
	dns    *bool
}

func addEnrichFlags(fs *pflag.FlagSet) enrichFlags {
	return enrichFlags{
		config: fs.String("config", "", "YAML config `FILE` whose enrich section maps networks to activities and locations (default: the embedded one)"),
		geoip:  fs.StringArray("geoip", nil, "MaxMind-format database `FILE` (DB-IP Lite, IPinfo Lite, GeoLite2 .mmdb); repeatable; replaces the config's enrich.geoip"),
		dns:    fs.Bool("dns", false, "look up reverse DNS names (rate-limited, cached in the addresses table), as enrich.reverse_dns.enabled"),
	}
}

// options loads the config (unless cfg is given) and turns it and the
// flags into enrich options, the geoip databases checked (opened).
func (f enrichFlags) options(cfg *config.Config) (enrich.Options, error) {
	if cfg == nil {
		cfg = config.Default()
		if *f.config != "" {
			var err error
			if cfg, err = readConfig(*f.config); err != nil {
				return enrich.Options{}, err
			}
		}
	}
	e := cfg.Enrich
	opt := enrich.Options{GeoIP: e.GeoIP, Now: time.Now().UTC()}
	if len(*f.geoip) > 0 {
		opt.GeoIP = *f.geoip
	}
	if err := enrich.CheckGeoIP(opt.GeoIP); err != nil { // before anything is written
		return enrich.Options{}, err
	}
	for _, n := range e.Networks {
		opt.Networks = append(opt.Networks, enrich.Network{Prefix: n.Prefix(), Activity: n.Activity, Location: n.Location})
	}
	if e.ReverseDNS.Enabled || *f.dns {
		r := e.ReverseDNS
		opt.DNS = &enrich.DNSOptions{Resolver: net.DefaultResolver, RatePerS: r.RatePerS,
			Timeout: time.Duration(r.TimeoutS * float64(time.Second)), Refresh: time.Duration(r.RefreshDays * 24 * float64(time.Hour))}
	}
	return opt, nil
}

// cmdPrepare is `tmonbench rollup` (rollups and addresses) or `tmonbench
// enrich` (addresses only).
func cmdPrepare(name string) flagsFunc {
	return func(fs *pflag.FlagSet) (string, runFunc) {
		out := readOutFlag(fs)
		quiet := fs.BoolP("quiet", "q", false, "print nothing but errors")
		ef := addEnrichFlags(fs)
		what := "Writes the 1-minute, 1-hour and 1-day rollups (*_1m, *_1h, *_1d) of every counter and\nhistogram table of DIR beside them, and the addresses table, replacing earlier ones."
		if name == "enrich" {
			what = "Writes the addresses table of DIR: every address with its activity, location, country,\ncity, AS and (with --dns) reverse DNS name."
		}
		return fmt.Sprintf("Usage: tmonbench %s [flags]\n\n%s", name, what), func(args []string, stdout, stderr io.Writer) error {
			opt, err := ef.options(nil)
			if err != nil {
				return err
			}
			w := stdout
			if *quiet {
				w = io.Discard
			}
			// Ctrl-C stops the table being written (DuckDB's COPY), which
			// removes its hidden folder; the tables written before stay.
			ctx, stop := untilSignal()
			defer stop()
			// A live capture or a collector appends to out while it runs:
			// what is written now covers its rows so far, and stays as it
			// is when more come (query then reads stale rollups).
			if st := queries.State(*out); st.Running && st.Dir == absPath(*out) {
				fmt.Fprintf(stderr, "tmonbench %s: note: the %s writing %s is still running (pid %d): these tables cover the rows written so far; run tmonbench %s again once it has ended\n",
					name, queries.RunWhat(st.Mode), *out, st.PID, name)
			}
			err = prepare(ctx, *out, opt, name == "rollup", w)
			if ctx.Err() != nil {
				fmt.Fprintf(stderr, "tmonbench %s: interrupted: the tables written before are kept\n", name)
				return &exitError{code: 130, err: err}
			}
			return err
		}
	}
}

// prepare writes the rollups (when withRollups) and the addresses table
// of the output folder out, printing what it wrote under a header naming
// the command that does it ("tmonbench rollup: DIR", as `replay --rollup`
// does the same). ctx stops the writing.
func prepare(ctx context.Context, out string, opt enrich.Options, withRollups bool, w io.Writer) error {
	started := time.Now()
	// A running replay (or merge) stages its tables inside out and
	// replaces out as a whole when it ends: tables written into out now
	// would make it refuse the folder and its rows would be lost.
	cmd := "enrich"
	if withRollups {
		cmd = "rollup"
	}
	if st := queries.State(out); st.Running && st.Dir != absPath(out) {
		return fmt.Errorf("the %s writing %s is still running (pid %d) and replaces the folder when it ends: run tmonbench %s once it has ended", st.Mode, out, st.PID, cmd)
	}
	db, err := queries.Open(out)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := store.CheckWritable(out); err != nil {
		return err
	}
	fmt.Fprintf(w, "tmonbench %s: %s\n", cmd, out)
	if withRollups {
		res, err := rollup.Build(ctx, db, out)
		if err != nil {
			return err
		}
		for _, t := range res.Tables {
			fmt.Fprintf(w, "  %-20s %10d %s\n", t.Name, t.Rows, queries.RowWord(t.Rows))
		}
		if res.Misaligned > 0 {
			fmt.Fprintf(w, "  note: %d raw rows have an interval that does not divide their rollup level; each counts whole in the bucket where it starts\n", res.Misaligned)
		}
	}
	res, err := enrich.Build(ctx, db, out, opt)
	if err != nil {
		return err
	}
	kept := ""
	if res.DNSKept > 0 { // reverse DNS persists: a rollup without --dns keeps the names
		kept = fmt.Sprintf(" (%d kept from the previous table)", res.DNSKept)
	}
	fmt.Fprintf(w, "  %-20s %10d %s  (%d in configured networks, %d known to a geoip database, %s%s, %s)\n",
		enrich.Table, res.Addresses, queries.RowWord(res.Addresses), res.InNetworks, res.Geo,
		pkt.Nouns(res.DNSNames, fmt.Sprintf("%d DNS name[s]", res.DNSNames)), kept, pkt.Nouns(res.DNSLookups, fmt.Sprintf("%d look-up[s]", res.DNSLookups)))
	for _, d := range res.Databases {
		fmt.Fprintf(w, "  geoip: %s\n", d)
	}
	if err := writeManifest(out); err != nil {
		return err
	}
	fmt.Fprintf(w, "  wall time %.3f s\n", time.Since(started).Seconds())
	return nil
}

// noteRollupsBehind says on stderr, for a command (query, report) about
// to read out's rollups, when rows reached the rolled-up tables after the
// rollups were written (rollup.Behind): they leave those rows out.
func noteRollupsBehind(stderr io.Writer, who, out string) {
	if behind, raw, rolled := rollup.Behind(out); behind {
		fmt.Fprintf(stderr, "tmonbench %s: note: rows were written into %s at %s, after its rollups (%s): they are not in the rollups this reads; run tmonbench rollup --out %s again\n",
			who, out, raw.UTC().Format(time.RFC3339), rolled.UTC().Format(time.RFC3339), out)
	}
}

// absPath is path made absolute, or path itself when it cannot be.
func absPath(path string) string {
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return path
}

// replayEnd ends a replay whose run is written: the rollups of --rollup,
// then exit status 3 (exitSkipped) if files were skipped. ctx is the
// replay's signal context: Ctrl-C stops the rollups as it stops
// `tmonbench rollup` (exit 130; the run's tables stay whole); one that came
// while the run's tables were written (noteFinishing) exits 130 too, its
// tables whole, with --rollup the rollups not written. Under
// context.Background() a rollup of seconds swallowed every Ctrl-C and
// exited 0 (the sixth new-user trial).
func replayEnd(ctx context.Context, a *replayArgs, out string, stdout, stderr io.Writer) error {
	if ctx.Err() != nil && !a.rollup { // Ctrl-C once the captures were read: the tables are whole (noteFinishing said so)
		return &exitError{code: 130, err: errors.New("replay interrupted after reading its captures")}
	}
	if a.rollup {
		w := stdout
		if a.quiet {
			w = io.Discard
		}
		opt, err := enrichFlags{config: new(string), geoip: &[]string{}, dns: new(bool)}.options(a.cfg)
		if err != nil {
			return err
		}
		err = prepare(ctx, out, opt, true, w)
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "tmonbench replay: interrupted during the rollups: the run's tables are whole, the rollups and addresses may be missing (tmonbench rollup --out %s writes them)\n", out)
			return &exitError{code: 130, err: errors.New("rollup interrupted")}
		}
		if err != nil {
			return err
		}
	}
	if len(a.skipped) > 0 {
		return skippedErr(a.skipped, ", events capture_skipped, run.json's skipped", "the run holds the others")
	}
	return nil
}
