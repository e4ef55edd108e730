package main

import (
	"strings"
)

// oneLine is msg, an error's message, on one line, as the usage text
// promises ("an error, said in one line on stderr"): DuckDB's errors take
// three or four lines,
//
//	Catalog Error: Table with name flowz does not exist!
//	Did you mean "flows"?
//
//	LINE 1: SELECT * FROM flowz
//	                      ^
//
// which read as "Catalog Error: Table with name flowz does not exist!
// Did you mean "flows"? (LINE 1: SELECT * FROM flowz, at flowz)": the
// hint kept, blank lines dropped, the lines joined with a space after a
// sentence's end (. ! ? :) and "; " otherwise, and the LINE marker with
// what its caret points at (the text from the caret to the next space),
// in parentheses at the end. A message of one line is returned as is.
func oneLine(msg string) string {
	if !strings.Contains(msg, "\n") {
		return msg
	}
	lines := strings.Split(msg, "\n")
	var b strings.Builder
	where := ""
	for i := 0; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], " \t\r")
		if strings.TrimSpace(l) == "" {
			continue
		}
		if strings.HasPrefix(l, "LINE ") && i+1 < len(lines) && strings.TrimSpace(lines[i+1]) == "^" {
			where = l + caretAt(l, strings.IndexByte(lines[i+1], '^'))
			i++
			continue
		}
		l = strings.TrimSpace(l)
		if b.Len() > 0 {
			if strings.ContainsRune(".!?:", rune(b.String()[b.Len()-1])) {
				b.WriteByte(' ')
			} else {
				b.WriteString("; ")
			}
		}
		b.WriteString(l)
	}
	if where != "" {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("(" + where + ")")
	}
	return b.String()
}

// caretAt is ", at TOKEN": the text of line from the caret's column col
// (counted in characters, as DuckDB places it) to the next space; ""
// when col is not inside line.
func caretAt(line string, col int) string {
	r := []rune(line)
	if col < 0 || col >= len(r) || r[col] == ' ' {
		return ""
	}
	tok := string(r[col:])
	if i := strings.IndexByte(tok, ' '); i >= 0 {
		tok = tok[:i]
	}
	return ", at " + tok
}
