package config

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// ClassLine returns the line in the file of field (a key such as
// "filter", or a dotted path below the class such as "rtt.kinds") of
// c.Classes[i], else the line where the class starts (0 for classes not
// in the file).
func (c *Config) ClassLine(i int, field string) int {
	if i < 0 || i >= len(c.Classes) {
		return 0
	}
	cl := &c.Classes[i]
	if l := c.lineOf(fmt.Sprintf("classes[%d].%s", cl.index, field), ""); l > 0 {
		return l
	}
	return cl.line
}

// lineOf returns the line in the file of the field at the dotted path
// (classes[2].rtt.kinds): of its item equal to item when the field is a
// list and item is not empty, else of its key; 0 when the file does not
// hold it.
func (c *Config) lineOf(path, item string) int {
	line, _ := c.posOf(path, item)
	return line
}

// posOf is lineOf with the column: of the key, or of the item.
func (c *Config) posOf(path, item string) (line, col int) {
	if c.root == nil {
		return 0, 0
	}
	n := c.root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, seg := range strings.Split(path, ".") {
		name, idx, hasIdx := strings.Cut(seg, "[")
		if n.Kind != yaml.MappingNode {
			return 0, 0
		}
		var v *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == name {
				line, col, v = n.Content[i].Line, n.Content[i].Column, n.Content[i+1]
				break
			}
		}
		if v == nil {
			return 0, 0
		}
		n = v
		if hasIdx {
			k, err := strconv.Atoi(strings.TrimSuffix(idx, "]"))
			if err != nil || n.Kind != yaml.SequenceNode || k < 0 || k >= len(n.Content) {
				return 0, 0
			}
			n = n.Content[k]
			line, col = n.Line, n.Column
		}
	}
	if item != "" && n.Kind == yaml.SequenceNode {
		for _, it := range n.Content {
			if it.Kind == yaml.ScalarNode && it.Value == item {
				return it.Line, it.Column
			}
		}
	}
	return line, col
}

// syntaxError turns a YAML syntax error into FILE:LINE:COL: what (COL
// when faultColumn finds it, else FILE:LINE: what). The line
// is the fault's (faultLine): yaml.v3's "line N" is, for a parser error,
// the line where the construct being parsed began, counted from 0 (its
// fail() prefers the context mark, adding 1 for scanner errors only), and
// it writes none for 0: "classes:\n  - name: d\n   filter: x" said line
// 1 for a fault on line 3. Its line is kept when no cut of the text gives
// the error. A tab where indentation goes gets a word on why (YAML
// indents with spaces only: YAML 1.2 section 6.1).
func syntaxError(file string, text []byte, err error) *Error {
	e := &Error{File: file, Line: 1, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	full := e.Msg
	if sub := lineRE.FindStringSubmatch(e.Msg); sub != nil {
		e.Line, _ = strconv.Atoi(sub[1])
		e.Msg = strings.TrimPrefix(e.Msg, sub[0])
	}
	if l := faultLine(text, full, e.Line); l > 0 {
		e.Line = l
	}
	e.Col = faultColumn(text, full, e.Line)
	lines := strings.Split(string(text), "\n")
	if e.Line <= len(lines) && strings.Contains(e.Msg, "token") {
		if l := strings.TrimLeft(lines[e.Line-1], " "); strings.HasPrefix(l, "\t") {
			e.Msg += " (a tab: YAML indents with spaces only)"
		}
	}
	return e
}

// maxFaultLines bounds the lines faultLine cuts (a parse per line: 500
// lines of a config parse in about 0.1 s, 2,000 took 5 s).
const maxFaultLines = 500

// faultLine returns the first line after which text, cut there, fails to
// parse with the same error, full (yaml.v3's message with its "line N",
// from), as the whole text: the line of the token at fault, as the parser
// stops at the first bad token. The construct at fault begins at line
// from (counted from 0 or 1), so no cut before it is tried: an earlier
// construct cut in its middle (a quoted filter over two lines) can fail
// alike, but its error names its own line, not from (a review: an
// unclosed quote on line 9 was reported on line 4). 0 when no cut does,
// or more than maxFaultLines lines would be cut.
func faultLine(text []byte, full string, from int) int {
	lines := strings.SplitAfter(string(text), "\n")
	start := max(from-1, 0)
	if start >= len(lines) || len(lines)-start > maxFaultLines {
		return 0
	}
	cut := 0
	for _, l := range lines[:start] {
		cut += len(l)
	}
	for i := start; i < len(lines); i++ {
		cut += len(lines[i])
		var n yaml.Node
		err := yaml.Unmarshal(text[:cut], &n)
		if err != nil && strings.TrimPrefix(err.Error(), "yaml: ") == full {
			return i + 1
		}
	}
	return 0
}

// maxFaultColumns bounds the cuts faultColumn tries on the fault's line
// (a parse per character).
const maxFaultColumns = 400

// faultColumn returns the 1-based column (in characters) on line of the
// token at fault in text, whose parse failed with full (yaml.v3's
// message): yaml.v3's syntax errors carry no column (a bare "yaml: line
// N: what"; its parser's problem mark is unexported), so it is found as
// faultLine finds the line. The column is k when text cut after the k-th
// character of the line fails with the same error and cut before it
// parses: that character starts the token the parser could not take (a
// key indented out of its mapping, a ':' where no value may start, a tab
// where indentation goes, the opening quote of a scalar never closed).
// 0, no column, when no cut is so: an error the end of the text alike
// gives (a flow sequence or mapping left open: "a: [1, 2" fails so at
// any cut after its '['), where the column would be a guess.
func faultColumn(text []byte, full string, line int) int {
	lines := strings.SplitAfter(string(text), "\n")
	if line < 1 || line > len(lines) {
		return 0
	}
	start := 0
	for _, l := range lines[:line-1] {
		start += len(l)
	}
	l := strings.TrimRight(lines[line-1], "\r\n")
	col := 0
	for i := range l { // i: the byte offset of the line's col+1-th character
		col++
		if col > maxFaultColumns {
			return 0
		}
		_, size := utf8.DecodeRuneInString(l[i:])
		end := start + i + size
		var n yaml.Node
		if err := yaml.Unmarshal(text[:end], &n); err == nil || strings.TrimPrefix(err.Error(), "yaml: ") != full {
			continue
		}
		if err := yaml.Unmarshal(text[:start+i], &n); err == nil {
			return col
		}
		return 0
	}
	return 0
}
