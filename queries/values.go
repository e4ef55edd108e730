package queries

import (
	"math/big"
	"reflect"
	"time"
)

// Int64 reads an integer-like value of a Result (Run lists the Go types
// duckdb-go returns): the integer types, floats (truncated), time.Time
// (Unix ns) and *big.Int (HUGEINT, what sum() of integers returns;
// truncated to 64 bits). Anything else, NULL included, is 0.
func Int64(v any) int64 {
	switch x := v.(type) {
	case time.Time:
		return x.UnixNano()
	case *big.Int:
		return x.Int64()
	}
	switch r := reflect.ValueOf(v); {
	case r.CanInt():
		return r.Int()
	case r.CanUint():
		return int64(r.Uint())
	case r.CanFloat():
		return int64(r.Float())
	}
	return 0
}

// Float64 reads a number of a Result: floats as they are, *big.Int
// (HUGEINT) to the nearest float64, other integer-like values as Int64
// reads them. NULL is 0.
func Float64(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case float32:
		return float64(x)
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f
	case nil:
		return 0
	}
	return float64(Int64(v))
}
