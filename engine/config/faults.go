package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxErrors is the most faults an Errors lists; it counts the others.
const MaxErrors = 20

// Errors is every fault found in one configuration, as a compiler
// reports them: one FILE:LINE:COL: FIELD: what line each, sorted by
// line and column, the first MaxErrors of them (More counts the others),
// so that a user fixes them all in one go, not one a run. Parse returns
// it when there is more than one fault (one alone is its *Error).
type Errors struct {
	List []*Error // sorted by line, then column (faults without a line last)
	More int      // faults past MaxErrors, not listed
}

// Error is "FILE: N errors:", then the list's lines, then "FILE: N more
// errors not shown" when More.
func (e *Errors) Error() string {
	if len(e.List) == 0 {
		return "config: no error"
	}
	lines := make([]string, 0, len(e.List)+2)
	lines = append(lines, fmt.Sprintf("%s: %d errors:", e.List[0].File, len(e.List)+e.More))
	for _, f := range e.List {
		lines = append(lines, f.Error())
	}
	if e.More > 0 {
		lines = append(lines, fmt.Sprintf("%s: %d more error%s not shown (the first %d above)", e.List[0].File, e.More, plural(e.More), len(e.List)))
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns every listed fault: errors.Is(err, ErrInvalid) and
// errors.As(err, **Error) (the first) hold.
func (e *Errors) Unwrap() []error {
	errs := make([]error, len(e.List))
	for i, f := range e.List {
		errs[i] = f
	}
	return errs
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Checker is a check of a decoded configuration that this package cannot
// make (a class filter's grammar: engine/filter is above it); Parse and
// Load run it on the configuration, defaults applied, even when other
// faults were found, and report its faults with theirs (Config.Fault
// places one).
type Checker func(*Config) []*Error

// Fault is a fault of the field at the dotted path (classes[2].filter)
// placed at its key's line and column in the file (none when the file
// does not hold it): for a Checker.
func (c *Config) Fault(field, format string, a ...any) *Error {
	e := &Error{File: c.file, Field: field, Msg: fmt.Sprintf(format, a...)}
	e.Line, e.Col = c.posOf(field, "")
	return e
}

// faults gathers the faults of one configuration text: add takes an
// error of any stage (an *Error, an *Errors, nil); err places each at a
// column and sorts them.
type faults struct {
	c      *Config
	list   []*Error
	undone []string // the fields whose value could not be decoded (decoded)
}

// decoded ends the decoding stages: a later fault of a field whose
// value could not be decoded (made null: the default), or of a field
// below it, is left out: it would be about the default, not the text
// (tui.keys.quit: {a: 1} is not also "no keys").
func (f *faults) decoded() {
	for _, e := range f.list {
		if e.Field != "" {
			f.undone = append(f.undone, e.Field)
		}
	}
}

func (f *faults) add(err error) {
	switch e := err.(type) {
	case nil:
	case *Error:
		if !f.isUndone(e.Field) {
			f.list = append(f.list, e)
		}
	case *Errors:
		for _, x := range e.List {
			f.add(x)
		}
	default:
		f.list = append(f.list, &Error{File: f.c.file, Msg: err.Error()})
	}
}

// isUndone reports whether field is, or is below, a field whose value
// could not be decoded.
func (f *faults) isUndone(field string) bool {
	for _, u := range f.undone {
		if field == u || strings.HasPrefix(field, u+".") || strings.HasPrefix(field, u+"[") {
			return true
		}
	}
	return false
}

// err returns nil, the one fault, or every fault (Errors), each given
// the column of its field, or of the first token of its line, when it
// has a line and no column yet.
func (f *faults) err() error {
	for _, e := range f.list {
		if e.Line > 0 && e.Col == 0 {
			e.Col = f.c.colOf(e.Line, e.Field)
		}
	}
	slices.SortStableFunc(f.list, func(a, b *Error) int {
		if (a.Line == 0) != (b.Line == 0) { // those without a line last
			return cmp.Compare(b.Line, a.Line)
		}
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	switch {
	case len(f.list) == 0:
		return nil
	case len(f.list) == 1:
		return f.list[0]
	case len(f.list) > MaxErrors:
		return &Errors{List: f.list[:MaxErrors], More: len(f.list) - MaxErrors}
	}
	return &Errors{List: f.list}
}

// colOf is the column of field on line (its key's, or its offending
// item's), else of the first token on that line; 0 without the text.
func (c *Config) colOf(line int, field string) int {
	if l, col := c.posOf(field, ""); l == line && col > 0 {
		return col
	}
	if c.root == nil {
		return 0
	}
	var first func(n *yaml.Node) int
	first = func(n *yaml.Node) int {
		if n.Line == line && n.Kind == yaml.ScalarNode { // a key, or an item: not the collection it starts
			return n.Column
		}
		for _, k := range n.Content {
			if col := first(k); col > 0 {
				return col
			}
		}
		return 0
	}
	return first(c.root)
}

// ClassFault is Fault for the field (a key such as "filter") of
// c.Classes[i], placed at its key, else at the class (ClassLine).
func (c *Config) ClassFault(i int, field, format string, a ...any) *Error {
	cl := &c.Classes[i]
	path := fmt.Sprintf("classes[%d].%s", cl.index, field)
	e := c.Fault(path, format, a...)
	if e.Line == 0 {
		e.Line = cl.line
	}
	return e
}

// decode decodes the text b, whose tree c.root holds, into c: with
// unknown keys refused when f holds no fault yet, else from the tree,
// whose values at fault checkShape made null and whose unknown keys f
// holds already, so that the rest is decoded and checked. Type errors go
// to f; the error returned ends the parse.
func (c *Config) decode(b []byte, f *faults) error {
	var err error
	if len(f.list) == 0 {
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		err = dec.Decode(c)
	} else {
		err = c.root.Decode(c)
	}
	if errors.Is(err, io.EOF) {
		err = nil
	}
	var msgs []string
	for i := range c.Classes {
		msgs = append(msgs, c.Classes[i].undecoded...)
		c.Classes[i].undecoded = nil
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msgs = append(msgs, te.Errors...)
		err = nil
	}
	for _, m := range msgs { // one fault each
		f.add(typeError(c.file, c.root, []string{m}))
	}
	if err != nil {
		return fmt.Errorf("%s: %w: %v", c.file, ErrInvalid, err)
	}
	return nil
}
