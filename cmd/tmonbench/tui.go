package main

import (
	"fmt"
	"io"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/spf13/pflag"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/tui"
)

func cmdTUI(fs *pflag.FlagSet) (string, runFunc) {
	out := fs.String("out", "./tmon-out", "output `DIR` of tmonbench replay or collector")
	cfg := fs.String("config", "", "config `FILE` (the one replay/live take) whose tui.keys section remaps keys, e.g. tui: {keys: {quit: [x]}}")
	return "Usage: tmonbench tui [--out DIR] [--config FILE]\n\nBrowse a replay's or collector's output: overview, flows, flow detail, packets, TCP, FTP, RTT, one-way, events, SQL.\nPress ? inside for the keys.", func(args []string, stdout, stderr io.Writer) error {
		opts := tui.Options{Out: *out}
		if *cfg != "" {
			keys, err := tuiKeys(*cfg)
			if err != nil {
				return err
			}
			opts.Keys = keys
		}
		if err := tui.CheckOutput(*out); err != nil {
			return err // nothing to browse: one line and status 1, no empty screen
		}
		m, err := tui.New(opts)
		if err != nil {
			return err
		}
		defer m.Close()
		return tui.Run(m, tea.WithOutput(stdout))
	}
}

// tuiKeys reads the tui.keys section of a tmonbench config file (the same
// file replay, live and collector take; engine/config checks its shape,
// tui.New the action names).
func tuiKeys(path string) (map[string][]string, error) {
	c, err := config.Load(path)
	if err != nil {
		return nil, fmt.Errorf("tui: %w", err)
	}
	return c.TUI.Keys, nil
}
