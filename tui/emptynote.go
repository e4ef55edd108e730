package tui

// emptyNote is what a table screen without a row says: why its table is
// empty (Options.Empty, in the words `tmonbench query` prints) when the
// screen shows the whole table, else "(no rows)", "in the brushed time
// range" when the brush is set.
func (t *pagedTable) emptyNote(e *env) string {
	if why := e.empty.For(t.spec.table); why != "" && !e.brush.active() && t.filter == "" && len(t.spec.where) == 0 {
		return "(" + t.spec.table + " is empty: " + why + ")"
	}
	if e.brush.active() {
		return "(no rows in the brushed time range)"
	}
	return "(no rows)"
}
