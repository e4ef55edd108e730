package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/queries"
	"github.com/tmonbench/tmonbench/queries/dataset"
	"github.com/tmonbench/tmonbench/queries/enrich"
	"github.com/tmonbench/tmonbench/replay"
)

// writeManifest rewrites the _manifest.json of the output out, last.
func writeManifest(out string) error {
	_, err := dataset.WriteManifest(context.Background(), out, version, time.Now())
	return err
}

func cmdMerge(fs *pflag.FlagSet) (string, runFunc) {
	out := fs.String("out", "", "output `DIR` to write (replaced as a whole, like a replay's)")
	rollup := fs.Bool("rollup", false, "then write the rollups and the addresses table of the merged output")
	quiet := fs.BoolP("quiet", "q", false, "print nothing but errors")
	ef := addEnrichFlags(fs)
	for _, n := range []string{"config", "geoip", "dns"} { // the rollup's enrichment
		fs.Lookup(n).Usage = "with --rollup: " + fs.Lookup(n).Usage
	}
	return "Usage: tmonbench merge --out DIR SRC...\n\nUnions the tables of several outputs (runs, or collectors of duplicated central sites)\ninto DIR, each distinct row once, in the Hive layout. DIR is replaced: to merge into it, name\nit as a SRC too; a replay's or another merge's output in DIR that is no SRC is replaced\nwith a warning naming what it held. Ctrl-C stops it: DIR is left as\nit was or, once its tables replaced it, whole.", func(args []string, stdout, stderr io.Writer) error {
		if *out == "" || fs.NArg() == 0 {
			return usageErr("merge: want --out DIR and at least one SRC output folder")
		}
		srcs := fs.Args()
		var inputs []store.Input
		for _, s := range srcs {
			fi, err := os.Stat(s)
			if err != nil || !fi.IsDir() {
				return fmt.Errorf("merge: %s is not an output folder", s)
			}
			size := partBytes(filepath.Join(s, enrich.Table)) // the Parquet parts merge reads: the addresses table's
			for _, ts := range store.FolderStats(s) {         // and its tables'
				size += ts.Bytes
			}
			inputs = append(inputs, store.Input{Path: s, SizeBytes: size})
		}
		var opt enrich.Options
		if *rollup { // its flags checked before anything is written
			var err error
			if opt, err = ef.options(nil); err != nil {
				return err
			}
		}
		// Ctrl-C (SIGINT, SIGTERM) stops the merge: its tables are staged
		// in a hidden folder of DIR (store.BeginRun), which Abort removes,
		// and DIR is replaced as a whole once they are (Finish): it is
		// left as it was, or whole. It killed the command, which could
		// leave DIR half replaced.
		ctx, stop := untilSignal()
		defer stop()
		old, oldErr := store.ReadManifest(*out)
		started := time.Now()
		run, err := store.BeginRun(*out, store.Manifest{Mode: "merge", Version: version, Command: append([]string{"tmonbench", "merge"}, args...), Inputs: inputs, Started: started.UTC()})
		if err != nil {
			return err
		}
		defer run.Abort()
		// a second Ctrl-C gives the merge up at once (the first waits
		// for DuckDB to stop): exit 130, DIR as it was
		stopSecond := onSecondSignal(ctx, stderr, nil, func() (string, bool) {
			u, ok := run.Abandon()
			return mergeAbandonLine(*out, run.Dir(), u), ok
		})
		defer stopSecond()
		if oldErr == nil && (old.Mode == store.ModeReplay || old.Mode == "" || old.Mode == "merge" && !sameFolders(old.Inputs, srcs)) &&
			!amongFolders(*out, srcs) {
			// a replay's or an earlier merge's output is replaced as by a
			// replay, but "merge --out A B" reads as merging B into A:
			// say what A held (not for the same merge again, which
			// makes every row again)
			warnf(stderr, "merge", "%s", replacedNote(*out, old))
		}
		if mergeHook != nil {
			mergeHook(ctx, "merging")
		}
		res, err := dataset.Merge(ctx, run.Dir(), srcs)
		if ctx.Err() != nil {
			run.Abort()
			fmt.Fprintf(stderr, "tmonbench merge: interrupted: nothing merged, %s is as it was\n", *out)
			return &exitError{code: 130, err: errors.New("merge interrupted")}
		}
		if err != nil {
			return err
		}
		run.CountTables() // DuckDB wrote the parts: run.json counts them as a replay's
		run.SetFinished(time.Now().UTC())
		if mergeHook != nil {
			mergeHook(ctx, "publishing")
		}
		if err := run.Finish(); err != nil { // a Ctrl-C now waits for DIR replaced whole
			return err
		}
		if ctx.Err() != nil {
			return mergeInterrupted(run.Out(), *rollup, stderr)
		}
		w := stdout
		if *quiet {
			w = io.Discard
		}
		noun := "outputs"
		if len(srcs) == 1 {
			noun = "output"
		}
		fmt.Fprintf(w, "tmonbench merge: %d %s into %s\n", len(srcs), noun, run.Out())
		for _, t := range res.Tables {
			fmt.Fprintf(w, "  %-20s %10d %s read, %10d distinct written\n", t.Name, t.Input, queries.RowWord(t.Input), t.Written)
		}
		var derived []string
		index := false
		for _, t := range res.Skipped {
			if t == replay.TablePacketIndex {
				index = true
			} else {
				derived = append(derived, t)
			}
		}
		if len(derived) > 0 && !*rollup {
			fmt.Fprintf(w, "  not merged (derived; tmonbench rollup rebuilds them): %v\n", derived)
		}
		if index {
			// its rows are byte offsets into the sources' capture files:
			// rollup does not rebuild it, a replay of the captures writes it
			fmt.Fprintf(w, "  not merged: [%s] (offsets into each source's capture files, for the TUI's p; replay the captures to write it)\n", replay.TablePacketIndex)
		}
		if *rollup {
			err = prepare(ctx, run.Out(), opt, true, w)
		} else {
			err = writeManifest(run.Out())
		}
		if ctx.Err() != nil {
			return mergeInterrupted(run.Out(), *rollup, stderr)
		}
		return err
	}
}

// mergeHook, when set (by a test), is called with merge's signal context
// at a stage of its writing: "merging" before the tables are merged,
// "publishing" before they replace DIR.
var mergeHook func(ctx context.Context, stage string)

// mergeInterrupted ends a merge stopped by Ctrl-C once out was replaced
// by its tables, whole (their _manifest.json written): exit 130, said on
// stderr, with --rollup (rollup) the rollups and addresses maybe missing,
// as `tmonbench rollup` stopped keeps the tables written before.
func mergeInterrupted(out string, rollup bool, stderr io.Writer) error {
	err := writeManifest(out)
	missing := ""
	if rollup {
		missing = fmt.Sprintf("; the rollups and addresses may be missing (tmonbench rollup --out %s writes them)", out)
	}
	fmt.Fprintf(stderr, "tmonbench merge: interrupted: %s holds the merged tables whole%s\n", out, missing)
	return &exitError{code: 130, err: errors.Join(errors.New("merge interrupted"), err)}
}

// amongFolders reports whether the folder dir is one of folders (by
// os.SameFile: any path to it).
func amongFolders(dir string, folders []string) bool {
	di, err := os.Stat(dir)
	if err != nil {
		return false
	}
	for _, f := range folders {
		if fi, err := os.Stat(f); err == nil && os.SameFile(di, fi) {
			return true
		}
	}
	return false
}

// sameFolders reports whether an earlier merge's inputs (its run.json's)
// are the folders srcs, in any order: the same merge again. A path that
// is no folder now is none of them.
func sameFolders(inputs []store.Input, srcs []string) bool {
	if len(inputs) != len(srcs) {
		return false
	}
	for _, in := range inputs {
		if !amongFolders(in.Path, srcs) {
			return false
		}
	}
	for _, s := range srcs {
		found := false
		for _, in := range inputs {
			found = found || amongFolders(s, []string{in.Path})
		}
		if !found {
			return false
		}
	}
	return true
}

// partBytes is the size in bytes of the Parquet files under dir (0 when
// there is none): a table merge reads besides those of observe.Tables
// (store.FolderStats), the addresses table.
func partBytes(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".parquet") {
			if fi, err := e.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
