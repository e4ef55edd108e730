package filter

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Parse and Compile errors wrap one of them, so callers can
// test with errors.Is.
var (
	// ErrSyntax is wrapped by every *SyntaxError: the expression is not a
	// filter this package accepts.
	ErrSyntax = errors.New("filter: syntax error")
	// ErrTooManyClasses is returned by Compile when given more than
	// MaxClasses filters.
	ErrTooManyClasses = errors.New("filter: too many classes")
)

// SyntaxError is a Parse error: Msg describes the problem found at byte
// Offset of Expr (0-based; len(Expr) means "at the end").
// Error() reads "filter: expected port number at offset 9".
type SyntaxError struct {
	Expr   string // the expression as given to Parse
	Offset int    // byte offset of the offending token
	Msg    string // what was wrong, without position
}

// Error returns "filter: <msg> at offset <n>".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("filter: %s at offset %d", e.Msg, e.Offset)
}

// Unwrap returns ErrSyntax.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// Caret renders the expression with a caret under the offending byte and
// the message after it, for command-line and config error reports:
//
//	tcp port x
//	         ^ expected port number
func (e *SyntaxError) Caret() string {
	var b strings.Builder
	b.WriteString(e.Expr)
	b.WriteByte('\n')
	for i := 0; i < e.Offset && i < len(e.Expr); i++ {
		if e.Expr[i] == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
	}
	b.WriteString("^ ")
	b.WriteString(e.Msg)
	return b.String()
}

// CompileError is a Compile error for one class: Class is the index of the
// offending filter in the slice given to Compile, Err the cause (usually a
// *SyntaxError). Error() reads
// "filter: class 3: expected port number at offset 9".
type CompileError struct {
	Class int
	Err   error
}

// Error names the class index and the cause.
func (e *CompileError) Error() string {
	msg := e.Err.Error()
	msg = strings.TrimPrefix(msg, "filter: ")
	return fmt.Sprintf("filter: class %d: %s", e.Class, msg)
}

// Unwrap returns the cause.
func (e *CompileError) Unwrap() error { return e.Err }
