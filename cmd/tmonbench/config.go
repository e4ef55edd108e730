package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/spf13/pflag"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/probe"
)

// loadConfig loads the config file, or the embedded default without one,
// validates it (acceptConfig) and, once it is accepted, prints on stderr
// what the file turns off that the default runs (config.Warnings).
func loadConfig(cmd, path string, stderr io.Writer) (*config.Config, error) {
	return loadChecked(cmd, path, stderr, nil)
}

// loadChecked is loadConfig with check, what the command needs of a
// configuration beyond acceptConfig (nil: nothing), applied to the
// default too: a configuration it refuses prints no warning.
func loadChecked(cmd, path string, stderr io.Writer, check func(*config.Config) error) (*config.Config, error) {
	if path == "" {
		cfg := config.Default()
		if check != nil {
			if err := check(cfg); err != nil {
				return nil, err
			}
		}
		for _, w := range cfg.Warnings() { // the default's: --interval's (IntervalWarning)
			warnf(stderr, cmd, "%s", w)
		}
		return cfg, nil
	}
	cfg, err := acceptConfig(path, check)
	if err != nil {
		return nil, err // refused: no warnings about a config that will not run
	}
	for _, w := range cfg.Warnings() {
		warnf(stderr, cmd, "%s", w)
	}
	return cfg, nil
}

// acceptConfig loads the config file at path and validates it as a
// command about to run it: config.Load's checks, the TUI's keys
// (checkKeys), what the probe engine builds of every class (its filters
// compiled, its analysers' settings: probe.CheckConfig), then check (nil:
// nothing more). It is the one validation of a configuration, at start
// (loadConfig) and for each new version of a watched file (switcher): a
// new version cannot be accepted that a start would refuse.
func acceptConfig(path string, check func(*config.Config) error) (*config.Config, error) {
	cfg, err := readConfig(path)
	if err != nil {
		return nil, err
	}
	if err := probe.CheckConfig(cfg); err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(cfg); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// readConfig loads the config file at path; a file that cannot be read
// is worded as a capture's: the flag, the file, the fault. Its tui.keys
// are checked as the TUI would (checkKeys): config --effective and replay
// without --tui accepted remaps tmonbench tui then refused.
func readConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path, probe.FilterFaults, keyFaults) // every fault at once, the filters' and keys' too
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return nil, fmt.Errorf("--config %s: %w", path, pe.Err)
	}
	return cfg, err
}

// keyFaults is the config.Checker of tui.keys (checkKeys).
func keyFaults(cfg *config.Config) []*config.Error {
	var e *config.Error
	if err := checkKeys(cfg); errors.As(err, &e) {
		return []*config.Error{e}
	} else if err != nil {
		return []*config.Error{cfg.Fault("tui.keys", "%v", err)}
	}
	return nil
}

// cmdConfig prints the embedded default configuration, or with
// --effective the configuration that will run (defaults applied).
func cmdConfig(fs *pflag.FlagSet) (string, runFunc) {
	effective := fs.Bool("effective", false, "print the configuration as it will run: every default applied, classes resolved")
	cfgPath := fs.String("config", "", "with --effective: the YAML config `FILE` to resolve (default: the embedded one)")
	return "Usage: tmonbench config [--effective [--config FILE]]\n\nPrints the embedded default configuration (YAML, commented), or with --effective\nthe configuration a command given --config FILE will run. A file's fields\nreplace the defaults one by one; its classes: list replaces the default classes\nas a whole.", func(args []string, stdout, stderr io.Writer) error {
		if !*effective {
			if *cfgPath != "" {
				return usageErr("config: --config needs --effective")
			}
			_, err := stdout.Write(config.DefaultYAML())
			return err
		}
		cfg, err := loadConfig("config", *cfgPath, stderr)
		if err != nil {
			return err
		}
		_, err = stdout.Write(pdu.EffectiveConfig(cfg).EffectiveYAML()) // the regulation's defaults, not zeros: as run.json records it
		return err
	}
}

// configFaults says the faults of a configuration file (config.Errors)
// as a compiler does, one FILE:LINE:COL: FIELD: what line each after
// "tmonbench CMD: FILE: N errors:", and reports whether err was one: an
// error's one line (oneLine) would hide all but the first, and a user
// would fix them one run at a time.
func configFaults(w io.Writer, cmd string, err error) bool {
	var all *config.Errors
	if !errors.As(err, &all) {
		return false
	}
	fmt.Fprintf(w, "tmonbench %s: %s\n", cmd, all)
	return true
}
