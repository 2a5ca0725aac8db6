package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Parallel calls fn(lo, hi) on disjoint ranges that together cover [0, n),
// using the package's worker pool (GOMAXPROCS goroutines including the
// caller), and returns when all calls have returned.
//
// Every range starts at a multiple of grain and holds grain items (the last
// one may hold fewer), whatever the number of workers, so a fn whose result
// for an item depends only on that item gives bit-identical results for any
// GOMAXPROCS. Split the output, never a reduction: to reduce, let fn write
// one partial result per grain-sized chunk (index lo/grain) and sum the
// partials in order afterwards.
//
// When n <= grain or GOMAXPROCS is 1, fn(0, n) runs on the calling goroutine.
// grain therefore doubles as the "too small to be worth a goroutine" size.
// Helpers that have just finished a job spin for a short while (spinTime)
// before parking, and the caller spins briefly for its helpers to finish
// before sleeping, so back-to-back calls (a time step of a recurrent layer,
// the products of one generated token) cost about a microsecond each
// instead of two thread wake-ups; one chunk of a few microseconds of work
// is then worth a hand-off. Parallel itself allocates nothing in steady
// state (a closure literal passed as fn may: hot callers keep their fn in a
// long-lived variable). fn may itself call Parallel; calls from several
// goroutines at once are safe.
func Parallel(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	chunks := (n + grain - 1) / grain
	procs := runtime.GOMAXPROCS(0)
	if chunks == 1 || procs == 1 {
		fn(0, n)
		return
	}
	helpers := min(procs, chunks) - 1
	pool.start(procs - 1)

	j := jobPool.Get().(*job)
	j.fn, j.n, j.grain, j.chunks = fn, n, grain, int64(chunks)
	j.next.Store(0)
	j.done.Store(0)
	j.refs.Store(int64(1 + helpers))
	j.wg.Add(chunks)
	for range helpers {
		select {
		case pool.work <- j:
		default:
			// Every helper is busy (nested or concurrent calls): we do the
			// chunks ourselves; the missing reference is dropped here.
			j.release()
		}
	}
	j.run()
	// Our share is done; a helper may still be finishing its last chunk.
	// Spin for it a little (a wake-up through the WaitGroup costs several
	// microseconds), then sleep.
	if j.done.Load() < j.chunks {
		deadline := int64(0)
		for i := 0; j.done.Load() < j.chunks; i++ {
			if i&63 == 63 {
				now := nanotime()
				if deadline == 0 {
					deadline = now + int64(waitSpinTime)
				} else if now > deadline {
					break
				}
			}
			spin(i)
		}
	}
	j.wg.Wait()
	j.release()
}

// Spin budgets. spinTime is how long an idle helper polls for the next job
// before parking: long enough to bridge the serial work between two
// parallel products, short enough not to steal a shared machine's CPU for
// long. waitSpinTime is how long the caller of Parallel polls for helpers
// still running their last chunk.
const (
	spinTime     = 50 * time.Microsecond
	waitSpinTime = 100 * time.Microsecond
)

var timeBase = time.Now()

// nanotime is a monotonic clock in nanoseconds.
func nanotime() int64 { return int64(time.Since(timeBase)) }

// job is one Parallel call. Helpers and the caller claim chunks from next;
// done and wg count finished chunks (done for spinning, wg for sleeping);
// refs counts the goroutines that may still touch the job, the last of which
// returns it to jobPool.
type job struct {
	fn       func(lo, hi int)
	n, grain int
	chunks   int64
	next     atomic.Int64
	done     atomic.Int64
	refs     atomic.Int64
	wg       sync.WaitGroup
}

var jobPool = sync.Pool{New: func() any { return new(job) }}

// run claims and runs chunks until none are left.
func (j *job) run() {
	for {
		c := j.next.Add(1) - 1
		if c >= j.chunks {
			return
		}
		lo := int(c) * j.grain
		hi := min(lo+j.grain, j.n)
		j.fn(lo, hi)
		j.done.Add(1)
		j.wg.Done()
	}
}

func (j *job) release() {
	if j.refs.Add(-1) == 0 {
		j.fn = nil
		jobPool.Put(j)
	}
}

// workerPool is a set of long-lived goroutines fed through one channel.
// Helpers only ever add speed: the caller of Parallel can finish any job
// alone, so there is no deadlock when all helpers are busy.
type workerPool struct {
	mu      sync.Mutex
	started atomic.Int64
	work    chan *job
}

var pool = workerPool{work: make(chan *job, 256)}

func (p *workerPool) start(n int) {
	if p.started.Load() >= int64(n) {
		return
	}
	p.mu.Lock()
	for p.started.Load() < int64(n) {
		p.started.Add(1)
		go p.worker()
	}
	p.mu.Unlock()
}

// worker runs jobs; between jobs it polls the channel for spinTime before
// blocking on it.
func (p *workerPool) worker() {
	for {
		var j *job
		select {
		case j = <-p.work:
		default:
			j = p.spin()
		}
		j.run()
		j.release()
	}
}

// spin polls for a job for up to spinTime, then blocks until one comes.
func (p *workerPool) spin() *job {
	deadline := int64(0)
	for i := 0; ; i++ {
		select {
		case j := <-p.work:
			return j
		default:
		}
		if i&63 == 63 {
			now := nanotime()
			if deadline == 0 {
				deadline = now + int64(spinTime)
			} else if now > deadline {
				return <-p.work
			}
		}
		spin(i)
	}
}

// spin is one round of a spin-wait loop: PAUSE for the first rounds, then
// a thread yield, so that on a machine with more runnable threads than
// cores the thread we wait for gets the CPU instead of our spinning.
func spin(i int) {
	if i < 256 {
		spinPause()
		return
	}
	osYield()
}
