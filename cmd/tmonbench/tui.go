package main

import (
	"database/sql"
	"errors"
	"io"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/spf13/pflag"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/queries"
	"github.com/tmonbench/tmonbench/tui"
)

func cmdTUI(fs *pflag.FlagSet) (string, runFunc) {
	out := readOutFlag(fs)
	cfg := fs.String("config", "", "config `FILE` (the one replay/live take) whose tui.keys section remaps keys, e.g. tui: {keys: {quit: [x]}}")
	return "Usage: tmonbench tui [--out DIR] [--config FILE]\n\nBrowse a replay's or collector's output: overview, flows, flow detail, packets, TCP, FTP, RTT, one-way, events, SQL.\nPress ? inside for the keys.", func(args []string, stdout, stderr io.Writer) error {
		opts := tui.Options{Out: *out}
		var c *config.Config
		if *cfg != "" {
			var err error
			if c, err = readConfig(*cfg); err != nil {
				return err
			}
			opts.Keys = c.TUI.Bindings()
		}
		if err := tui.CheckOutput(*out); err != nil {
			return collectorHint(err, *out) // nothing to browse: one line and status 1, no empty screen
		}
		w, screen, release, err := tuiScreen(stdout, "")
		if err != nil {
			return err
		}
		defer release()
		opts.Output = screen
		// why empty screens are empty, as query says (asked again when the
		// run writing out changes state)
		opts.Empty = func(db *sql.DB) queries.EmptyReasons { return emptyReasons(db, *out) }
		m, err := tui.New(opts)
		if err != nil {
			return keysErr(c, err)
		}
		defer m.Close()
		return tui.Run(m, tea.WithOutput(w))
	}
}

// keysErr names the config file's line of a tui.keys remap the TUI
// refuses (an unknown action, a key bound twice): FILE:LINE:
// tui.keys.ACTION: ... (cfg nil: the keys came from no file).
func keysErr(cfg *config.Config, err error) error {
	var ke *tui.KeyError
	if cfg != nil && errors.As(err, &ke) {
		return cfg.KeyError(ke.Action, ke.Key, ke.Msg)
	}
	return err
}

// checkKeys refuses, before a --tui run opens anything, a tui.keys remap
// the TUI would refuse once the run has started (a replay's previous
// output was replaced by an interrupted run for a typo in the keys).
func checkKeys(cfg *config.Config) error {
	km := tui.DefaultKeyMap()
	return keysErr(cfg, km.Remap(cfg.TUI.Bindings()))
}
