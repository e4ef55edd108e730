package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/tmonbench/tmonbench/queries"
)

func cmdQuery(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("query", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "./tmon-out", "output `DIR` written by tmonbench replay")
	format := fs.StringP("format", "f", "table", "output format: "+strings.Join(queries.Formats, ", "))
	sqlText := fs.String("sql", "", "run this `SQL` instead of a named query (views: one per table)")
	list := fs.Bool("list", false, "list the named queries")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: tmonbench query [flags] NAME | --sql \"SELECT ...\" | --list\n\nRuns DuckDB over the Parquet tables of a replay.\n\nFlags:\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return usageErr("query: %v", err)
	}
	if *list {
		for _, n := range queries.List() {
			fmt.Fprintf(stdout, "%-16s %s\n", n.Name, n.Description)
		}
		return nil
	}
	var q string
	switch {
	case *sqlText != "" && fs.NArg() > 0:
		return usageErr("query: give a query NAME or --sql, not both")
	case *sqlText != "":
		q = *sqlText
	case fs.NArg() == 1:
		n, err := queries.Get(fs.Arg(0))
		if err != nil {
			return usageErr("query: %v (tmonbench query --list)", err)
		}
		q = n.SQL
	default:
		return usageErr("query: want one query NAME or --sql \"SELECT ...\" (tmonbench query --list)")
	}
	if !slices.Contains(queries.Formats, *format) {
		return usageErr("query: --format %q: want %s", *format, strings.Join(queries.Formats, ", "))
	}
	db, err := queries.Open(*out)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := queries.Run(db, q)
	if err != nil {
		return err
	}
	return queries.Format(stdout, res, *format)
}
