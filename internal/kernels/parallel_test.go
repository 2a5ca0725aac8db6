package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

func TestParallelCovers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 3, 8} {
		runtime.GOMAXPROCS(procs)
		for _, n := range []int{0, 1, 5, 100, 1001} {
			for _, grain := range []int{0, 1, 7, 64, 5000} {
				hits := make([]int32, n)
				Parallel(n, grain, func(lo, hi int) {
					if g := max(grain, 1); lo%g != 0 || (hi-lo != g && hi != n) {
						t.Errorf("range [%d,%d) not aligned to grain %d (n=%d)", lo, hi, g, n)
					}
					for i := lo; i < hi; i++ {
						atomic.AddInt32(&hits[i], 1)
					}
				})
				for i, h := range hits {
					if h != 1 {
						t.Fatalf("procs=%d n=%d grain=%d: item %d covered %d times", procs, n, grain, i, h)
					}
				}
			}
		}
	}
}

// TestParallelNested checks nested and concurrent calls finish (no
// deadlock when every helper is busy).
func TestParallelNested(t *testing.T) {
	var total atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			Parallel(8, 1, func(lo, hi int) {
				Parallel(100, 3, func(lo, hi int) { total.Add(int64(hi - lo)) })
			})
		}()
	}
	wg.Wait()
	if total.Load() != 4*8*100 {
		t.Fatalf("total %d", total.Load())
	}
}

func TestParallelAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	var sink atomic.Int64
	fn := func(lo, hi int) { sink.Add(int64(hi - lo)) }
	Parallel(1000, 10, fn)
	if n := testing.AllocsPerRun(100, func() { Parallel(1000, 10, fn) }); n > 0 {
		t.Errorf("%.1f allocations per call", n)
	}
}
