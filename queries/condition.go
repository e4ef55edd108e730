package queries

import (
	"errors"
	"strings"
)

// Condition reports why text, an SQL condition a user typed (the TUI's
// "where <SQL>" filter), cannot be AND-ed with other predicates as one
// condition: Pager writes its predicates as "(a) AND (b)", so a ')'
// closing a parenthesis the text did not open ("1=1) or (1=1") would
// take the brush and keyset conditions into an OR, a ';' would start
// another statement, and a comment would hide what follows. Quoted
// strings and identifiers ('...', "...", doubled quotes inside) may hold
// any of these. nil when the text is one condition.
func Condition(text string) error {
	depth := 0
	var quote byte // the open quote, 0 outside one
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0 // a doubled quote closes and reopens: the same
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return errors.New("a ')' closes a parenthesis the condition did not open")
			}
		case c == ';':
			return errors.New("a ';' ends the statement: give one condition")
		case strings.HasPrefix(text[i:], "--") || strings.HasPrefix(text[i:], "/*"):
			return errors.New("a comment would hide the conditions after it")
		}
	}
	switch {
	case quote != 0:
		return errors.New("a quote is not closed")
	case depth > 0:
		return errors.New("missing ')'")
	}
	return nil
}
