package probe

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/filter"
)

// CheckFilters compiles the class filters of cfg as New does: the
// commands call it when they load a config, so a filter error comes
// first (FILE:LINE of the filter), before any warning about the config.
func CheckFilters(cfg *config.Config) error {
	filters := make([]string, len(cfg.Classes))
	for i := range cfg.Classes {
		filters[i] = cfg.Classes[i].Filter
	}
	_, err := filter.Compile(filters)
	if ce := classFilterError(cfg, err); ce != nil {
		return ce
	}
	return err
}

// classFilterError returns a class's filter error from filter.Compile
// naming the file, the filter's line, the class and the filter; nil if
// err is not one.
func classFilterError(cfg *config.Config, err error) error {
	var ce *filter.CompileError
	if !errors.As(err, &ce) || ce.Class < 0 || ce.Class >= len(cfg.Classes) {
		return nil
	}
	cl := &cfg.Classes[ce.Class]
	// "filter %q: expected ...", not "filter %q: filter: expected ..."
	msg := strings.TrimPrefix(ce.Err.Error(), "filter: ")
	return &classError{msg: fmt.Sprintf("%s:%d: class %q: filter %q: %s", cfg.File(), cfg.ClassLine(ce.Class, "filter"), cl.Name, cl.Filter, msg), err: ce.Err}
}

// classError is a class's filter error as classFilterError words it,
// wrapping the filter package's error.
type classError struct {
	msg string
	err error
}

func (e *classError) Error() string { return e.msg }
func (e *classError) Unwrap() error { return e.err }
