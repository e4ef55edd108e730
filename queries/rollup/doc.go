// Package rollup merges the counter and histogram tables of a tmonbench
// output into 1-minute, 1-hour and 1-day tables (design 1.11, 5.1) without
// losing statistical information, with DuckDB SQL over the Parquet views of
// queries.Open.
//
// Inputs: the raw tables flow_counters, size_histograms, rtt_histograms,
// oneway_latency and oneway_loss (engine/observe). Outputs: for each, the
// tables <table>_1m, <table>_1h and <table>_1d written as zstd Parquet
// beside them (<out>/<table>_1h/part-00000.parquet), so queries.Open shows
// them as views. interval_start is the bucket start (UTC-aligned minutes,
// hours, days), interval_s its length (60, 3600, 86400); the other key
// columns are the raw table's (Tables lists them; flow_counters keeps its
// unit column). Table.Columns declares every column with its type, unit
// and meaning: internal/refgen puts them in the reference (docs/tables.md,
// `tmonbench query --schema`) and the tests check them against the tables
// Build writes.
//
// Statistics. A raw row holds n, sum, sumsq, min and max of its samples.
// A rollup row holds the same five, under the raw table's names (sum_us,
// sumsq_us2, min_us, max_us for oneway_latency; sum_ms, ... for
// rtt_histograms; bare for flow_counters), plus m2 (m2_us2, m2_ms2, m2): the sum of squared deviations
// from the row's own mean, so that
//
//	mean   = sum / n
//	stddev = sqrt(m2 / n)      (population; sqrt(m2/(n-1)) for the sample one)
//
// m2 is what keeps the variance numerically safe: sumsq - sum²/n cancels
// catastrophically when the mean is large against the spread (TTLs, packet
// sizes, RTTs of a long path). It is computed
//
//   - for a raw row, in fixed units when its values are integers (packets,
//     bytes, TTL, whole microseconds: sum and sumsq below 2^53 are exact in
//     float64), as (n·sumsq − sum²)/n in 128-bit integers, so the only
//     rounding is the final division; otherwise as sumsq − sum²/n, the best
//     the raw row allows;
//   - when rows merge, with the k-way form of Chan et al.'s parallel
//     algorithm: m2 = Σ m2ᵢ + Σ nᵢ(meanᵢ − mean)², which never squares a
//     raw value. Sums use Kahan summation (DuckDB fsum).
//
// n, min, max and integer sums are exact; mean and standard deviation
// equal those of the raw samples to about 1e-12 relative (tests compare
// them with rtt_samples, oneway_delays and the packets of the captures).
// Histograms merge bin by bin: size_histograms and rtt_histograms per
// slice row, oneway_latency's slice_counts element-wise (rows with the
// same slices_ms). Percentiles cannot be merged: the rollup of
// oneway_latency replaces p50_us/p90_us/p99_us by bin bounds
// (p50_lo_us, p50_hi_us, ...): the percentile lies in that closed range,
// the bounds of the slice holding it narrowed by the row's min and max.
//
// Rollups of rollups equal rollups of raw rows: Build computes 1m from the
// raw rows, 1h from 1m and 1d from 1h; raw rows whose interval_s is longer
// than a level skip it and enter the first level they fit (a 300 s raw
// interval goes to 1h directly). Rows are bucketed by interval_start: a raw
// interval that does not divide the level (45 s) is counted whole in the
// bucket where it starts, and Build reports how many such rows it saw.
//
// Where it sits: imported by cmd/tmonbench (`tmonbench rollup`, `replay
// --rollup`) and queries/report; it imports queries and engine/observe.
package rollup
