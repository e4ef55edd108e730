package queries

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/store"
)

// pagedOut writes n flows over three part files with many ties in bytes,
// ns-apart timestamps and returns the folder.
func pagedOut(t testing.TB, n int) string {
	t.Helper()
	dir := t.TempDir()
	var part []observe.Flow
	file := 0
	for i := range n {
		part = append(part, observe.Flow{
			FlowID: uint64(i + 1), Probe: "p", Interface: "if0", Class: "all",
			Name: fmt.Sprintf("f%d", i), Protocol: uint8([]int{6, 17, 1}[i%3]),
			SrcAddr: fmt.Sprintf("10.0.%d.%d", i/250, i%250), DstAddr: "192.0.2.1",
			SrcPort: uint16(1000 + i%7), DstPort: 80,
			FirstSeen: 1700000000000000000 + int64(i%5), LastSeen: 1700000000000000000 + int64(i),
			Packets: uint64(i % 4), Bytes: uint64(i%9) * 100,
		})
		if len(part) == n/3+1 || i == n-1 {
			if _, err := store.Write(dir, observe.TableFlows, file, part); err != nil {
				t.Fatal(err)
			}
			file++
			part = nil
		}
	}
	return dir
}

// TestPagerMatchesOrderBy walks every order forwards and backwards page by
// page and compares with one ORDER BY over all rows.
func TestPagerMatchesOrderBy(t *testing.T) {
	out := pagedOut(t, 200)
	db, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	src, err := TableSource(out, "flows")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cols, err := Describe(ctx, db, src)
	if err != nil {
		t.Fatal(err)
	}
	typ := map[string]string{}
	for _, c := range cols {
		typ[c.Name] = c.Type
	}
	if typ["first_seen"] != "TIMESTAMP_NS" || typ["bytes"] != "UBIGINT" {
		t.Fatalf("Describe: %v", cols)
	}
	for _, tc := range []struct {
		sort  string
		desc  bool
		where string
	}{
		{"bytes", true, ""}, {"bytes", false, ""}, {"first_seen", true, ""}, {"first_seen", false, "protocol = 6"},
		{"src_addr", false, ""}, {"", false, ""}, {"packets", true, "bytes > 300"},
	} {
		p := &Pager{From: src, Show: []string{"flow_id"}, Sort: tc.sort, SortTyp: typ[tc.sort], Desc: tc.desc, Keys: RowKeys, TwoPhase: tc.desc}
		if tc.where != "" {
			p.Where = []string{tc.where}
		}
		// the reference: same order, all rows at once
		order := p.order(true)
		q := "SELECT flow_id FROM " + src
		if tc.where != "" {
			q += " WHERE " + tc.where
		}
		want := column(t, db, q+" ORDER BY "+order)
		var got []any
		var keys [][]any
		page, err := p.First(ctx, db, 17)
		for err == nil && len(page) > 0 {
			for _, r := range page {
				got = append(got, r.Values[0])
				keys = append(keys, r.Key)
			}
			page, err = p.After(ctx, db, page[len(page)-1].Key, 17)
		}
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%+v forward:\n got %v\nwant %v", tc, got, want)
		}
		// backwards from the end
		var back []any
		page, err = p.Last(ctx, db, 13)
		for err == nil && len(page) > 0 {
			for i := len(page) - 1; i >= 0; i-- {
				back = append(back, page[i].Values[0])
			}
			page, err = p.Before(ctx, db, page[0].Key, 13)
		}
		if err != nil {
			t.Fatal(err)
		}
		for i, j := 0, len(back)-1; i < j; i, j = i+1, j-1 {
			back[i], back[j] = back[j], back[i]
		}
		if !reflect.DeepEqual(back, want) {
			t.Fatalf("%+v backward:\n got %v\nwant %v", tc, back, want)
		}
		n, err := p.Count(ctx, db)
		if err != nil || n != int64(len(want)) {
			t.Fatalf("Count = %d, %v; want %d", n, err, len(want))
		}
		// a row's position is its index in the one ORDER BY
		for _, i := range []int{0, 1, 16, 17, len(want) / 2, len(want) - 1} {
			if i >= len(keys) {
				continue
			}
			if n, err := p.CountBefore(ctx, db, keys[i]); err != nil || n != int64(i) {
				t.Fatalf("%+v CountBefore(row %d) = %d, %v; want %d", tc, i, n, err, i)
			}
		}
	}
}

// TestPagerNulls orders a column with NULLs (handshake times), NULLs last.
func TestPagerNulls(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	src := "(SELECT i AS id, CASE WHEN i % 3 = 0 THEN NULL ELSE i % 4 END AS v FROM range(50) t(i))"
	ctx := context.Background()
	for _, desc := range []bool{false, true} {
		p := &Pager{From: src, Show: []string{"id"}, Sort: "v", SortTyp: "BIGINT", Desc: desc, Keys: []string{"id"}, TwoPhase: !desc}
		want := column(t, db, "SELECT id FROM "+src+" ORDER BY "+p.order(true))
		var got []any
		page, err := p.First(ctx, db, 4)
		for err == nil && len(page) > 0 {
			for _, r := range page {
				got = append(got, r.Values[0])
			}
			page, err = p.After(ctx, db, page[len(page)-1].Key, 4)
		}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("desc=%v: %v\n got %v\nwant %v", desc, err, got, want)
		}
		if want[len(want)-1] == nil {
			t.Fatal("reference has no rows")
		}
		var back []any
		page, err = p.Last(ctx, db, 6)
		for err == nil && len(page) > 0 {
			back = append(append([]any(nil), valuesOf(page)...), back...)
			page, err = p.Before(ctx, db, page[0].Key, 6)
		}
		if err != nil || !reflect.DeepEqual(back, want) {
			t.Fatalf("desc=%v backward: %v\n got %v\nwant %v", desc, err, back, want)
		}
	}
}

func valuesOf(rows []Row) []any {
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r.Values[0]
	}
	return out
}

func column(t *testing.T, db *sql.DB, q string) []any {
	t.Helper()
	res, err := Run(db, q)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]any, len(res.Rows))
	for i, r := range res.Rows {
		out[i] = r[0]
	}
	return out
}
