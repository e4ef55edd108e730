// Package enrich builds the addresses table: every address seen in a
// tmonbench output qualified by the organisation's Activity and Location
// (configured CIDR ranges, design 1.13 and 7), by country, city and
// autonomous system from MaxMind-format databases (DB-IP Lite, IPinfo Lite,
// GeoLite2 .mmdb files read with github.com/oschwald/maxminddb-golang/v2;
// none is shipped), and optionally by reverse DNS (off by default,
// rate-limited, cached in the table itself and refreshed after a number of
// days, design 5.3).
//
// Input: the views of queries.Open (flows, tcp_connections, rtt_samples,
// ftp_sessions, ftp_transfers: their address columns) and the previous
// addresses table, if any, as the DNS cache. Output:
// <out>/addresses/part-00000.parquet, one row per address (Address), which
// joins to every table on its address columns:
//
//	SELECT a.activity, a.location, sum(f.bytes)
//	FROM flows f JOIN addresses a ON a.address = f.src_addr GROUP BY ALL
//
// Where it sits: imported by cmd/tmonbench (`tmonbench enrich`, and
// `rollup` and `report`, which refresh it); it imports queries and
// engine/observe, and takes the configuration as plain values so that it
// does not depend on engine/config.
package enrich
