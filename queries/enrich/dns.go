package enrich

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Resolver looks up the names of an address; net.DefaultResolver is one.
// Tests inject their own: tests never resolve external names.
type Resolver interface {
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

// DNSOptions tune reverse DNS (engine/config ReverseDNS).
type DNSOptions struct {
	Resolver Resolver
	RatePerS float64       // look-ups started per second
	Timeout  time.Duration // per look-up
	Refresh  time.Duration // cached answers older than this are looked up again
	Workers  int           // look-ups in flight at once; default 8
}

// resolveAll looks up rows[i] for every i of idx, at most RatePerS starts
// per second and Workers at once; it stops early (with ctx's error) when
// ctx ends. A failed or empty answer records an empty name.
func resolveAll(ctx context.Context, o DNSOptions, rows []Address, idx []int, now time.Time) error {
	if o.Resolver == nil {
		return fmt.Errorf("enrich: reverse DNS without a resolver")
	}
	workers := o.Workers
	if workers <= 0 {
		workers = 8
	}
	lim := rate.NewLimiter(rate.Limit(o.RatePerS), 1)
	jobs := make(chan int)
	var wg sync.WaitGroup
	stamp := now.UnixNano()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				lctx, cancel := context.WithTimeout(ctx, o.Timeout)
				names, err := o.Resolver.LookupAddr(lctx, rows[i].Address)
				cancel()
				rows[i].DNSName = ""
				if err == nil && len(names) > 0 {
					rows[i].DNSName = strings.TrimSuffix(names[0], ".")
				}
				t := stamp
				rows[i].DNSTime = &t
			}
		}()
	}
	var err error
	for _, i := range idx {
		if err = lim.Wait(ctx); err != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err != nil {
		return fmt.Errorf("enrich: reverse DNS: %w", err)
	}
	return nil
}
