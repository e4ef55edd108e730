package main

import "github.com/spf13/pflag"

// pathFlags are the flags naming a folder or file whose empty value means
// nothing: the output folder (--out), the configuration (--config), the
// report's file (-o, --output). Given empty, as `--config "$CFG"` with CFG
// unset gives it, they were taken for the default (replay ran the
// embedded configuration without a word) or failed naming no path
// ("no tmonbench output in  (run `tmonbench replay` first)", "open : no
// such file or directory").
var pathFlags = map[string]string{"out": "DIR", "config": "FILE", "output": "FILE"}

// emptyPaths refuses, as a usage error, a path flag of subcommand cmd's
// fs given with an empty value.
func emptyPaths(cmd string, fs *pflag.FlagSet) error {
	var err error
	fs.Visit(func(f *pflag.Flag) {
		what, ok := pathFlags[f.Name]
		if !ok || err != nil || f.Value.Type() != "string" || f.Value.String() != "" {
			return
		}
		err = usageErr("%s: --%s is empty (an unset shell variable?): give a %s, or leave the flag out for its default", cmd, f.Name, what)
	})
	return err
}
