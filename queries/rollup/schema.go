package rollup

import (
	"fmt"
	"strings"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// Names returns the names of t's rollup tables, finest first:
// flow_counters_1m, flow_counters_1h, flow_counters_1d.
func (t Table) Names() []string {
	var names []string
	for _, l := range Levels {
		names = append(names, t.Rollup(l))
	}
	return names
}

// Doc says what a row of t's rollup tables is, for the reference
// (docs/tables.md, `tmonbench query --schema`).
func (t Table) Doc() string {
	stats := []string{"n"}
	for _, s := range statNames {
		stats = append(stats, t.statColumn(s))
	}
	what := "merged statistics (" + strings.Join(stats, ", ") + ")"
	switch {
	case t.Slices:
		what += ", slice counts summed element-wise and bin-bounded percentiles"
	case !t.Stats:
		what = "summed counts"
	}
	carried := ""
	if len(t.Carried) > 0 {
		carried = fmt.Sprintf(" (%s: the largest of the rows merged, NULL only when every one's is)", strings.Join(t.Carried, ", "))
	}
	return fmt.Sprintf("the rows of %s merged into 1-minute, 1-hour and 1-day buckets by `tmonbench rollup` (queries/rollup): one row per %s and bucket%s, with %s; 1h is computed from 1m, 1d from 1h",
		t.Name, strings.Join(t.groupKeys(), ", "), carried, what)
}

// PartitionKeys are the Hive partition keys of t's rollup tables,
// outermost first: the UTC date of interval_start, then probe or class.
func (t Table) PartitionKeys() []string { return []string{"date", t.Part} }

// Columns returns the columns of t's rollup tables (every level alike) in
// the order they are written, without the partition key date: the keys,
// statistics and counts keep the raw table's type, unit and meaning; the
// columns rollups add (m2, the percentile bounds) and the bucket columns
// are described here. Tests compare them with the tables Build writes.
func (t Table) Columns() []observe.Column {
	src := map[string]observe.Column{}
	if raw := observe.TableNamed(t.Name); raw != nil {
		for _, c := range raw.Columns() {
			src[c.Name] = c
		}
	}
	var cols []observe.Column
	for _, k := range t.Keys {
		cols = append(cols, src[k])
	}
	cols = append(cols,
		observe.Column{Name: "interval_start", Type: "TIMESTAMP_NS", Unit: observe.UnitOf("interval_start", "TIMESTAMP_NS"),
			Doc: "start of the bucket (a UTC minute, hour or day) holding the interval_start of the raw rows merged"},
		observe.Column{Name: "interval_s", Type: "DOUBLE", Unit: "s", Doc: "bucket length: 60, 3600 or 86400"},
	)
	if t.Stats {
		cols = append(cols, src["n"])
		for _, s := range statNames {
			if s != "m2" {
				cols = append(cols, src[t.statColumn(s)])
				continue
			}
			sq := src[t.statColumn("sumsq")]
			cols = append(cols, observe.Column{Name: t.statColumn("m2"), Type: "DOUBLE", Unit: sq.Unit,
				Doc: "sum of the squared deviations from the row's mean, in the unit of " + sq.Name + ": stddev = sqrt(" + t.statColumn("m2") + " / n)"})
		}
	}
	for _, c := range t.Counts {
		cols = append(cols, src[c])
	}
	if t.Slices {
		cols = append(cols, src["slice_counts"])
		for _, p := range Percentiles {
			for _, b := range []string{"lo", "hi"} {
				name := fmt.Sprintf("p%d_%s_us", p, b)
				doc := fmt.Sprintf("lower bound of the %dth percentile delay: the nearest-rank p%d lies in [p%[2]d_lo_us, p%[2]d_hi_us], the slice holding it narrowed by min_us and max_us; NULL when n = 0", p, p)
				if b == "hi" {
					doc = fmt.Sprintf("upper bound of the %dth percentile delay (as p%d_lo_us)", p, p)
				}
				cols = append(cols, observe.Column{Name: name, Type: "DOUBLE", Nullable: true, Unit: observe.UnitOf(name, "DOUBLE"), Doc: doc})
			}
		}
	}
	return cols
}
