package kernels

import (
	"runtime"
	"sync/atomic"
)

// The parallel loop nest without barriers. Splitting each block of the
// product in two Parallel phases (pack B, then rows of C) costs two
// barriers per (jc, pc) block, and at each the workers wait for the
// slowest: about half a row chunk idle per block. Here one Parallel call
// runs the whole product. Its work units are (block, row chunk) pairs,
// claimed in order from one counter, so a worker that finishes its share
// of a block goes on to the next block at once. The B micro-panels of a
// block are packed on first use, by whichever worker needs one first (so
// packing overlaps the other workers' compute and the panel is used while
// it is in the packer's cache); workers start at different panels of a
// block, so those running at the same time pack different halves. Only
// the product's end has a tail; there the last chunks (one per worker)
// run in quarters.
//
// Ordering, with waits that always point to units claimed earlier (each
// claimed unit is being run by a live goroutine that waits only on still
// earlier ones, so there is no deadlock, even when one goroutine runs
// everything):
//   - a chunk's rows of C take the k blocks in order: unit (b, r) waits
//     until chunk r has finished block b-1 (done[r] counts its blocks);
//   - blocks alternate between two B buffers: a panel of block b is packed
//     into buffer b%2 only once every chunk has finished block b-2;
//   - panel state (per buffer) is 2b+1 while block b's panel is packed,
//     2b+2 when it is ready.
//
// Workers still get whole mr-row tiles and the k blocking is fixed, so
// results are bit-identical to the serial loop nest for any GOMAXPROCS.

// gemmPipe is the shared state of one pipelined product.
type gemmPipe struct {
	nc, nk  int // column block width; k blocks per column block
	blocks  int // column blocks × k blocks
	grain   int // rows per chunk: whole tiles, at most mc
	chunks  int // row chunks per block
	procs   int // workers, for the panel at which a chunk starts
	panels  int // most micro-panels in a block
	beta    float32
	bufs    [2][]float32
	next    atomic.Int64   // next unit to claim (see pipeUnit)
	done    []atomic.Int32 // per chunk: blocks finished
	pstate  []atomic.Int32 // per buffer and panel: see above
	abufLen int
}

// pipelined runs the product with the workers of the pool, nc wide
// column blocks, rows in chunks of grain.
func (g *gemmJob) pipelined(nc, ncMax, grain, procs int, beta float32) {
	im := g.im
	p := &g.pipe
	kc := min(im.kc, g.k)
	p.nc, p.nk = nc, (g.k+im.kc-1)/im.kc
	p.blocks = (g.n + nc - 1) / nc * p.nk
	p.grain, p.chunks, p.procs = grain, (g.m+grain-1)/grain, procs
	p.panels = (ncMax + im.nr - 1) / im.nr
	p.beta = beta
	nbuf := min(2, p.blocks)
	size := kc * p.panels * im.nr
	bbuf := getBuf(nbuf * size)
	p.bufs[0] = (*bbuf)[:size]
	if nbuf == 2 {
		p.bufs[1] = (*bbuf)[size : 2*size]
	}
	if cap(p.done) < p.chunks {
		p.done = make([]atomic.Int32, p.chunks)
	}
	p.done = p.done[:p.chunks]
	for i := range p.done {
		p.done[i].Store(0)
	}
	if cap(p.pstate) < 2*p.panels {
		p.pstate = make([]atomic.Int32, 2*p.panels)
	}
	p.pstate = p.pstate[:2*p.panels]
	for i := range p.pstate {
		p.pstate[i].Store(0)
	}
	p.next.Store(0)
	p.abufLen = (grain+im.mr-1)/im.mr*im.mr*kc + im.mr*im.nr
	Parallel(procs, 1, g.pipeFn)
	putBuf(bbuf)
	p.bufs = [2][]float32{}
}

// pipeBlock returns block b of the pipelined product.
func (g *gemmJob) pipeBlock(b int) kblock {
	p := &g.pipe
	kc := g.im.kc
	jc, pc := b/p.nk*p.nc, b%p.nk*kc
	kb := kblock{pc: pc, kcur: min(kc, g.k-pc), jc: jc, ncur: min(p.nc, g.n-jc), beta: p.beta}
	if pc > 0 {
		kb.beta = 1
	}
	nr := g.im.nr
	kb.bp = p.bufs[b&1][:(kb.ncur+nr-1)/nr*nr*kb.kcur]
	return kb
}

// pipeWork is one worker of a pipelined product: it claims and runs units
// until none are left. (lo, hi) from Parallel are not used.
func (g *gemmJob) pipeWork(_, _ int) {
	p := &g.pipe
	im := g.im
	mr, nr := im.mr, im.nr
	tail := min(p.chunks, p.procs)
	whole := (p.blocks-1)*p.chunks + p.chunks - tail
	units := int64(whole + tail*pipeSplit)
	abuf := getBuf(p.abufLen)
	tile := (*abuf)[len(*abuf)-mr*nr:]
	free := 0 // blocks below free are finished by every chunk
	for {
		u := p.next.Add(1) - 1
		if u >= units {
			break
		}
		b, r, lo, h := g.pipeUnit(int(u), whole, tail)
		if h <= 0 {
			continue
		}
		kb := g.pipeBlock(b)
		waitFor(&p.done[r], b)
		ap := (*abuf)[:(h+mr-1)/mr*mr*kb.kcur]
		g.prepA(&kb, ap, lo, h)
		panels := (kb.ncur + nr - 1) / nr
		q := int(u) % p.procs * panels / p.procs
		for range panels {
			g.pipePanel(&kb, b, q, &free)
			g.tiles(&kb, ap, tile, lo, h, q, q+1)
			if q++; q == panels {
				q = 0
			}
		}
		if int(u) < whole {
			p.done[r].Store(int32(b + 1))
		}
	}
	putBuf(abuf)
}

// pipeSplit: the last tail chunks of the last block (one per worker) run
// as this many units each, so that the workers finish closer together.
const pipeSplit = 4

// pipeUnit returns block b, chunk r and rows lo..lo+h of unit u: whole
// chunks for units below whole, then the last tail chunks split in
// pipeSplit parts of whole tiles (h may be 0 for a short chunk).
func (g *gemmJob) pipeUnit(u, whole, tail int) (b, r, lo, h int) {
	p := &g.pipe
	if u < whole {
		b, r = u/p.chunks, u%p.chunks
		lo = r * p.grain
		return b, r, lo, min(p.grain, g.m-lo)
	}
	v := u - whole
	b, r = p.blocks-1, p.chunks-tail+v/pipeSplit
	s := v % pipeSplit
	mr := g.im.mr
	c0 := r * p.grain
	ch := min(p.grain, g.m-c0)
	tc := (ch + mr - 1) / mr
	lo = c0 + tc*s/pipeSplit*mr
	hi := min(c0+ch, c0+tc*(s+1)/pipeSplit*mr)
	return b, r, lo, hi - lo
}

// pipePanel makes sure micro-panel q of block b (kb) is packed, packing it
// if no other worker has started to. free caches how many blocks every
// chunk is known to have finished.
func (g *gemmJob) pipePanel(kb *kblock, b, q int, free *int) {
	p := &g.pipe
	st := &p.pstate[(b&1)*p.panels+q]
	ready := int32(2*b + 2)
	for i := 0; ; i++ {
		s := st.Load()
		if s == ready {
			return
		}
		if s == ready-1 { // another worker is packing it
			spinWait(i)
			continue
		}
		// The buffer holds block b-2 (or nothing yet): wait until every
		// chunk is done with it.
		if need := b - 1; *free < need {
			for r := range p.done {
				waitFor(&p.done[r], need)
			}
			*free = need
		}
		if st.CompareAndSwap(s, ready-1) {
			g.packBlock(kb, q, q+1)
			st.Store(ready)
			return
		}
	}
}

// waitFor spins until *v >= n.
func waitFor(v *atomic.Int32, n int) {
	for i := 0; int(v.Load()) < n; i++ {
		spinWait(i)
	}
}

// spinWait is one round of a wait on another worker of the same product
// (which is running, or runnable): spin, then yield the thread and, now
// and then, the goroutine's P (in case the one we wait for is queued
// behind us).
func spinWait(i int) {
	if i >= 1024 && i&63 == 0 {
		runtime.Gosched()
		return
	}
	spin(i)
}
