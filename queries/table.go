package queries

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/mattn/go-runewidth"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// FormatTable writes res as an aligned text table (olekukonko/tablewriter,
// box-drawing borders) followed by a "(N rows)" line. Number columns are
// right-aligned; NULL prints as NULL; no control character of a value or
// a column name reaches the terminal raw: a newline (of a VARCHAR too)
// prints as \n, as DuckDB's CLI prints it, a tab, ESC or NUL as \x09,
// \x1B, \x00, a C1 character as \u0080-\u009F (escapeControls; DuckDB's
// box renderer passes names and values alike through one escape,
// ConvertRenderValue). FormatTable prints every row, uncut; FormatOptions
// with Width and MaxRows fits a terminal.
func FormatTable(w io.Writer, res *Result) error { return formatTable(w, res, Options{}) }

// minCut is the narrowest a text column is cut to (its name may be wider:
// a column is never narrower than its name).
const minCut = 10

// minWrap is the narrowest the wrapped last column (wrapColumn) is made
// before other columns are cut.
const minWrap = 20

// formatTable prints the table format with o: at most o.MaxRows rows, text
// cells cut to fit o.Width, or one row per block when even that is too wide.
func formatTable(w io.Writer, res *Result, o Options) error {
	return formatTableOf(w, res, o, len(res.Rows))
}

// formatTableOf is formatTable for a result of total rows of which res
// holds the first ones (at least o.MaxRows of them when there are).
func formatTableOf(w io.Writer, res *Result, o Options, total int) error {
	p := printer{o.Location}
	res = escapedNames(res)
	rows := res.Rows
	if o.MaxRows > 0 && len(rows) > o.MaxRows {
		rows = rows[:o.MaxRows]
	}
	cells := make([][]string, len(rows))
	for r, row := range rows {
		cells[r] = make([]string, len(row))
		for i, v := range row {
			if v == nil {
				cells[r][i] = "NULL"
			} else {
				cells[r][i] = escapeControls(p.text(v, res.Types[i]))
			}
		}
	}
	addr := addrColumns(res.Types, cells)
	shown, widths, fits := fitColumns(res, cells, addr, o.Width)
	var legend v6Legend
	cells, shown, widths, fits, legend = fitShortV6(res, cells, addr, o.Width, shown, widths, fits)
	var err error
	if fits {
		// every column is shown when one wraps (fitColumns)
		err = renderBoxes(w, project(res, shown), projectCells(cells, shown), widths, wrapColumn(res.Types, addr))
	} else {
		err = renderVertical(w, res, cells, o.Width, wrapColumn(res.Types, addr))
	}
	if err != nil {
		return err
	}
	if fits {
		if err := legend.write(w); err != nil {
			return err
		}
	}
	if fits && shown < len(res.Columns) {
		if _, err := fmt.Fprintf(w, "... not shown: %s (--width 0 prints them)\n",
			strings.Join(res.Columns[shown:], ", ")); err != nil {
			return err
		}
	}
	if more := total - len(rows); more > 0 {
		if _, err := fmt.Fprintf(w, "... %d more %s (--limit N prints N, --limit 0 all)\n", more, RowWord(more)); err != nil {
			return err
		}
	}
	_, err = fmt.Fprintf(w, "(%d %s)\n", total, RowWord(total))
	return err
}

// escapedNames returns res with its column names' control characters
// written out (escapeControls), res itself when none has one: a column
// alias is text of the query's, as a value is.
func escapedNames(res *Result) *Result {
	var cols []string
	for i, c := range res.Columns {
		if e := escapeControls(c); e != c {
			if cols == nil {
				cols = slices.Clone(res.Columns)
			}
			cols[i] = e
		}
	}
	if cols == nil {
		return res
	}
	out := *res
	out.Columns = cols
	return &out
}

// RowWord returns "row" for n = 1 and "rows" otherwise, for counts of rows
// printed for people.
func RowWord[N int | int64 | uint64](n N) string {
	if n == 1 {
		return "row"
	}
	return "rows"
}

// fitColumns returns how many columns (the first ones) the boxed table
// shows, their widths, and whether it fits in width (0: no limit): text
// columns are cut first (fitWidths); a table still too wide leaves out
// its last columns, at most a third of them; beyond that it does not fit
// (the vertical layout). A table whose last column wraps (wrapColumn: an
// event's message) never leaves it out: it does not fit instead, and
// each row is printed as a block with its message (at 100 columns `query
// events` printed every column but the message; at 80, blocks).
func fitColumns(res *Result, cells [][]string, addr []bool, width int) (int, []int, bool) {
	n := len(res.Columns)
	wrap := wrapColumn(res.Types, addr)
	least := n - n/3
	if wrap >= 0 {
		least = n
	}
	for shown := n; shown >= 1 && shown >= least; shown-- {
		widths, fits := fitWidths(project(res, shown), projectCells(cells, shown), addr[:shown], width, wrap)
		if fits {
			return shown, widths, true
		}
	}
	return n, nil, false
}

// fitShortV6 returns the table fitColumns fitted (cells, shown, widths,
// fits), or, when that leaves columns out or does not fit, the same cells
// with their long IPv6 addresses shortened (shortenV6) if that shows more
// columns: with the most leading groups of the labels that do, and the
// legend to print under it.
func fitShortV6(res *Result, cells [][]string, addr []bool, width, shown int, widths []int, fits bool) ([][]string, int, []int, bool, v6Legend) {
	n := len(res.Columns)
	if width <= 0 || fits && shown == n {
		return cells, shown, widths, fits, v6Legend{}
	}
	for lead := 3; lead >= 1; lead-- {
		short, lg := shortenV6(cells, addr, n, lead)
		if len(lg.labels) == 0 {
			break
		}
		s, w, f := fitColumns(res, short, addr, width)
		if f && (!fits || s > shown) && (s == n || lead == 1) {
			return short, s, w, f, lg.only(s)
		}
	}
	return cells, shown, widths, fits, v6Legend{}
}

// project is res with its first shown columns only (rows untouched).
func project(res *Result, shown int) *Result {
	return &Result{Columns: res.Columns[:shown], Types: res.Types[:shown]}
}

// projectCells is cells with the first shown columns of each row.
func projectCells(cells [][]string, shown int) [][]string {
	out := make([][]string, len(cells))
	for r, row := range cells {
		out[r] = row[:shown]
	}
	return out
}

// fitWidths returns the width of each column and whether the boxed table
// fits in width (0: no limit): the column that wraps (wrap, from
// wrapColumn; -1: none) is made narrower first, down to its widest word
// (at most maxWordFloor; at least minWrap), then the widest other text
// columns are cut, one column at a time, down to minCut or their name's
// width, or wider while their cells would not stay distinct
// (distinctFloor: elided where they differ, elideSplit), then the wrapped column down to minWrap, its words
// split; numbers, times, address columns (addr), machine names
// (MachineName: an event's kind and severity) and columns of number ranges
// (numberRanges) are never cut.
func fitWidths(res *Result, cells [][]string, addr []bool, width, wrap int) ([]int, bool) {
	n := len(res.Columns)
	widths := make([]int, n)
	floor := make([]int, n)
	for i, c := range res.Columns {
		widths[i] = runewidth.StringWidth(c)
		floor[i] = widths[i]
	}
	for _, row := range cells {
		for i, c := range row {
			widths[i] = max(widths[i], runewidth.StringWidth(c))
		}
	}
	for i := range floor {
		switch {
		case !cuttable(res.Types[i]) || addr[i] || MachineName(res.Columns[i]) || numberRanges(cells, i):
			floor[i] = widths[i]
		case i == wrap:
			floor[i] = min(widths[i], max(floor[i], minWrap))
		default:
			floor[i] = min(widths[i], max(floor[i], minCut))
			floor[i] = distinctFloor(cells, i, floor[i], widths[i])
		}
	}
	words := 0 // the wrapped column is first kept as wide as its widest word
	if wrap >= 0 {
		words = min(widths[wrap], max(floor[wrap], longestWord(cells, wrap), minWrap), maxWordFloor)
	}
	total := func() int {
		t := 3*n + 1 // "│ " before each cell, " " after, the last "│"
		for _, x := range widths {
			t += x
		}
		return t
	}
	if width <= 0 {
		return widths, true
	}
	for total() > width {
		if wrap >= 0 && widths[wrap] > max(floor[wrap], words) {
			widths[wrap]--
			continue
		}
		widest := -1
		for i := range widths {
			if i != wrap && widths[i] > floor[i] && (widest < 0 || widths[i] > widths[widest]) {
				widest = i
			}
		}
		if widest < 0 {
			if wrap < 0 || widths[wrap] <= floor[wrap] {
				return widths, false
			}
			widest = wrap // the others are at their floor: words split
		}
		widths[widest]--
	}
	return widths, true
}

// maxWordFloor caps how wide the wrapped column is kept for its widest
// word before other columns are cut (a longer word is split).
const maxWordFloor = 40

// longestWord returns the width of the widest space-separated word in
// column i of cells.
func longestWord(cells [][]string, i int) int {
	w := 0
	for _, row := range cells {
		for _, word := range strings.Fields(row[i]) {
			w = max(w, runewidth.StringWidth(word))
		}
	}
	return w
}

// cuttable reports whether cells of DuckDB type typ may be cut to fit:
// text and nested values, not numbers, times or booleans.
func cuttable(typ string) bool {
	return !isNumeric(typ) && !strings.HasPrefix(typ, "TIMESTAMP") && typ != "BOOLEAN" && typ != "DATE"
}

// MachineName reports whether column col holds stable machine names (an
// event's kind and severity, a round trip's kind: capture_skipped,
// rtt_orphan_responses, warning), which are what a row is read by and,
// cut, name nothing: the table cuts or wraps the other columns (the
// message) or prints one block a row, never them (an event whose message
// held a long path cut its kind to capture…ipped at 120 columns). Shared
// by the query table printer and the TUI.
func MachineName(col string) bool {
	return col == "kind" || col == "severity"
}

// numberRange is a range of two numbers as the report queries write a
// histogram slice (operator-rtt's p50_slice_ms, oneway-hourly's
// p50_slice_us: "0.043-1.934").
var numberRange = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?-[0-9]+(\.[0-9]+)?$`)

// numberRanges reports whether every cell of column i but NULL is a
// number range (and one is): such a column is never cut, as numbers are
// not: cut in its middle, 130.282-130.282 read 130.282…30.282, another
// range.
func numberRanges(cells [][]string, i int) bool {
	seen := false
	for _, row := range cells {
		if row[i] == "NULL" {
			continue
		}
		if !numberRange.MatchString(row[i]) {
			return false
		}
		seen = true
	}
	return seen
}

// wrapColumn returns the index of the column whose cells wrap onto more
// lines instead of being cut: the last one, when it is text and not an
// address column (an event's message, an RTT sample's detail: read to
// the end, cut they said little); -1 when none.
func wrapColumn(types []string, addr []bool) int {
	if n := len(types) - 1; n >= 0 && cuttable(types[n]) && !addr[n] {
		return n
	}
	return -1
}

// wrapText breaks s into lines of at most width columns at spaces (runs
// of white space fold into one); a word wider than width is split.
func wrapText(s string, width int) string {
	if runewidth.StringWidth(s) <= width || width < 1 {
		return s
	}
	var b strings.Builder
	lw := 0 // width of the current line
	for _, word := range strings.Fields(s) {
		ww := runewidth.StringWidth(word)
		if lw > 0 && lw+1+ww > width {
			b.WriteByte('\n')
			lw = 0
		}
		if lw > 0 {
			b.WriteByte(' ')
			lw++
		}
		for ww > width-lw {
			head := runewidth.Truncate(word, width-lw, "")
			if head == "" { // a rune wider than the room left
				_, n := utf8.DecodeRuneInString(word)
				head = word[:n]
			}
			b.WriteString(head)
			if word = word[len(head):]; word == "" {
				lw += runewidth.StringWidth(head)
				ww = 0
				break
			}
			b.WriteByte('\n')
			lw, ww = 0, runewidth.StringWidth(word)
		}
		b.WriteString(word)
		lw += ww
	}
	return b.String()
}

// renderBoxes draws the boxed table with cells cut to widths, those of
// column wrap (-1: none) broken onto lines of its width.
func renderBoxes(w io.Writer, res *Result, cells [][]string, widths []int, wrap int) error {
	align := make([]tw.Align, len(res.Columns))
	for i := range align {
		align[i] = tw.AlignLeft
		if i < len(res.Types) && isNumeric(res.Types[i]) {
			align[i] = tw.AlignRight
		}
	}
	cell := func(a []tw.Align) tw.CellConfig {
		return tw.CellConfig{
			Formatting: tw.CellFormatting{AutoWrap: tw.WrapNone, AutoFormat: tw.Off},
			Padding:    tw.CellPadding{Global: tw.PaddingDefault},
			Alignment:  tw.CellAlignment{Global: tw.AlignLeft, PerColumn: a},
		}
	}
	table := tablewriter.NewTable(w,
		tablewriter.WithHeaderConfig(cell(align)),
		tablewriter.WithRowConfig(cell(align)),
		tablewriter.WithTrimSpace(tw.Off),
	)
	header := make([]any, len(res.Columns))
	for i, c := range res.Columns {
		header[i] = c
	}
	table.Header(header...)
	heads := make([]int, len(widths)) // where each column's names are elided
	for i := range heads {
		heads[i] = -1 // the middle
		if i != wrap && i < len(res.Types) && cuttable(res.Types[i]) {
			if h, ok := elideSplit(cells, i, widths[i]); ok {
				heads[i] = h
			}
		}
	}
	for _, row := range cells {
		rec := make([]string, len(row)) // the table keeps it until Render
		for i, c := range row {
			if i == wrap {
				rec[i] = wrapText(c, widths[i])
			} else {
				rec[i] = fitCell(c, widths[i], heads[i])
			}
		}
		if err := table.Append(rec); err != nil {
			return fmt.Errorf("queries: table: %w", err)
		}
	}
	if err := table.Render(); err != nil {
		return fmt.Errorf("queries: table: %w", err)
	}
	return nil
}

// renderVertical prints each row as a block of "column │ value" lines
// under a "─[ row N ]─" rule (psql's expanded display), text values cut to
// the width left (never inside an address: cut), those of column wrap (-1:
// none; an event's message) broken onto lines of that width instead.
// Numbers, times, dates and booleans print whole, as in the table layout
// (cuttable): at --width 30 a trial read 42940…0000 for 4294000000000 and
// 2023-…000Z for a start_time, values no longer readable. So do columns of
// number ranges (numberRanges, as fitWidths keeps them): at 28 columns
// operator-rtt's slice 130.282-130.282 read 130.28…30.282, another range.
// So do machine names (MachineName: an event's kind and severity, as the
// table keeps them): at 30 columns a kind read capture_o…r_snaplen; a
// name wider than the room goes past the width, as a long number does.
func renderVertical(w io.Writer, res *Result, cells [][]string, width, wrap int) error {
	name := 0
	whole := make([]bool, len(res.Columns)) // printed whole, never cut
	for i, c := range res.Columns {
		name = max(name, runewidth.StringWidth(c))
		whole[i] = !cuttable(res.Types[i]) || numberRanges(cells, i) || MachineName(c)
	}
	room := max(width-name-3, minCut)
	var b strings.Builder
	for r, row := range cells {
		title := fmt.Sprintf("─[ row %d ]", r+1)
		b.WriteString(title)
		b.WriteString(strings.Repeat("─", max(min(width, name+3+room)-runewidth.StringWidth(title), 3)))
		b.WriteByte('\n')
		for i, c := range row {
			b.WriteString(runewidth.FillRight(res.Columns[i], name))
			b.WriteString(" │ ")
			if whole[i] { // before wrap: a range has no space to wrap at
				b.WriteString(c)
			} else if i == wrap {
				b.WriteString(strings.ReplaceAll(wrapText(c, room), "\n", "\n"+strings.Repeat(" ", name)+" │ "))
			} else {
				b.WriteString(fitCell(c, room, -1))
			}
			b.WriteByte('\n')
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
