package ngram

import (
	"context"
	"fmt"
	"math"

	"github.com/autoreg/autoreg"
)

// DefaultDiscountFallback returns D(1), D(2), D(3+) used for an order whose
// closed-form discount estimate fails, unless Options.DiscountFallback says
// otherwise: 0.5, 1, 1.5, lmplz's --discount_fallback without arguments.
func DefaultDiscountFallback() [3]float64 { return [3]float64{0.5, 1, 1.5} }

// Options configures estimation. See the equations at the top of model.go.
type Options struct {
	// Order is n, from 1 (the unigram baseline) to MaxOrder.
	Order int

	// Prune holds count thresholds in the sense of lmplz --prune: an n-gram
	// of order i+1 whose raw count is ≤ Prune[i] is dropped from the model,
	// its probability mass going to its context's backoff. Thresholds apply
	// to raw counts (also for lower orders, whose stored counts are
	// adjusted), must be non-decreasing, and Prune[0] must be 0 (unigrams are
	// never pruned); the last value repeats for the remaining orders. Nil
	// means no pruning. Because counts are raw and thresholds non-decreasing,
	// every context and suffix of a kept n-gram is kept.
	Prune []uint64

	// DiscountFallback holds D(1), D(2), D(3+) for orders whose closed-form
	// estimate is impossible or out of range; D(k) must lie in [0, k]. The
	// zero value means DefaultDiscountFallback().
	DiscountFallback [3]float64

	// Warn, if not nil, receives one line per warning (such as a discount
	// fallback). The package never prints.
	Warn func(msg string)

	// Progress, if not nil, is called as Build moves through its phases
	// (adjusted counts, then each order's probabilities), with a short
	// description.
	Progress func(msg string)
}

func (o *Options) thresholds() ([]uint64, error) {
	if o.Order < 1 || o.Order > MaxOrder {
		return nil, fmt.Errorf("ngram: order %d out of range [1, %d]", o.Order, MaxOrder)
	}
	thr := make([]uint64, o.Order+1) // thr[n] for order n
	if len(o.Prune) == 0 {
		return thr, nil
	}
	if len(o.Prune) > o.Order {
		return nil, fmt.Errorf("ngram: %d pruning thresholds for a model of order %d", len(o.Prune), o.Order)
	}
	if o.Prune[0] != 0 {
		return nil, fmt.Errorf("ngram: unigram pruning threshold %d: unigrams cannot be pruned, the first threshold must be 0", o.Prune[0])
	}
	for i := 1; i < len(o.Prune); i++ {
		if o.Prune[i] < o.Prune[i-1] {
			return nil, fmt.Errorf("ngram: pruning thresholds %v decrease; they must be non-decreasing", o.Prune)
		}
	}
	for n := 1; n <= o.Order; n++ {
		thr[n] = o.Prune[min(n, len(o.Prune))-1]
	}
	return thr, nil
}

func (o *Options) fallback() ([3]float64, error) {
	f := o.DiscountFallback
	if f == ([3]float64{}) {
		return DefaultDiscountFallback(), nil
	}
	for k, d := range f {
		if !(d >= 0 && d <= float64(k+1)) {
			return f, fmt.Errorf("ngram: fallback discount D(%d) = %g outside [0, %d]", k+1, d, k+1)
		}
	}
	return f, nil
}

// Builder counts n-grams from a token stream and estimates a [Model].
//
// The stream is a concatenation of sequences: BOS starts a sequence (context
// only, never counted as a prediction), EOS is counted and ends it. A token
// that arrives outside a sequence (at the very start, or right after EOS)
// opens one with an implied BOS. n-grams never cross sequences. This is
// exactly lmplz's counting when every sequence is <s> line </s>.
//
// Memory grows with the number of distinct n-grams, not with the stream.
type Builder struct {
	vocab    autoreg.Vocab
	opts     Options
	thr      []uint64
	fallback [3]float64
	order    int
	v        int
	bos, eos uint32

	uni   []uint32 // raw unigram counts, by token
	seen  []uint32 // order of first appearance of each counted token (lmplz's word ids)
	next  uint32
	tabs  []countTable // tabs[n]: ids of the n-grams of order n ≥ 2
	grams []gramStore  // grams[n]: the n-grams of order n ≥ 2

	open  bool // inside a sequence
	depth int  // tokens of the current sequence so far, <s> included

	// Pending positions, counted in chunks (flush): token and depth (number
	// of tokens before it in its sequence, <s> included, capped at order).
	pw     []uint32
	pd     []uint8
	ids    [][]uint32           // ids[n][i]: id of the n-gram ending at pending position i
	keys   []uint64             // scratch: key of each pending position
	hashes []uint64             // scratch: its hash
	carry  [MaxOrder + 1]uint32 // ids of the n-grams ending just before the chunk
	sink   uint32

	tokens uint64 // counted (predicted) tokens
	built  bool
}

// maxTokens bounds the stream so that counts fit in 32 bits.
const maxTokens = math.MaxUint32

// NewBuilder returns a Builder for a model over vocab. Tokens of vocab that
// never occur still get probability (the uniform share, see model.go).
func NewBuilder(vocab autoreg.Vocab, opts Options) (*Builder, error) {
	if err := vocab.Check(); err != nil {
		return nil, fmt.Errorf("ngram: %w", err)
	}
	thr, err := opts.thresholds()
	if err != nil {
		return nil, err
	}
	fb, err := opts.fallback()
	if err != nil {
		return nil, err
	}
	n := opts.Order
	b := &Builder{
		vocab:    vocab,
		opts:     opts,
		thr:      thr,
		fallback: fb,
		order:    n,
		v:        vocab.Size(),
		bos:      uint32(vocab.BOS()),
		eos:      uint32(vocab.EOS()),
		uni:      make([]uint32, vocab.Size()),
		seen:     make([]uint32, vocab.Size()),
		tabs:     make([]countTable, n+1),
		grams:    make([]gramStore, n+1),
	}
	for i := 2; i <= n; i++ {
		b.tabs[i] = newCountTable()
	}
	return b, nil
}

// Tokens returns the number of tokens counted so far (every token but BOS).
func (b *Builder) Tokens() int64 { return int64(b.tokens) }

// Add counts the next chunk of the stream. Chunks may split sequences
// anywhere. An id outside the vocabulary rejects the whole chunk.
func (b *Builder) Add(xs []autoreg.Token) error {
	if b.built {
		return fmt.Errorf("ngram: Add after Build")
	}
	v := autoreg.Token(b.v)
	for i, x := range xs {
		if x < 0 || x >= v {
			return fmt.Errorf("ngram: token %d at position %d of the chunk is outside the vocabulary [0, %d)", x, i, v)
		}
	}
	if b.tokens+uint64(len(xs)) > maxTokens {
		return fmt.Errorf("ngram: corpus too large: more than %d tokens", uint64(maxTokens))
	}
	for _, x := range xs {
		w := uint32(x)
		if w == b.bos || !b.open {
			b.open, b.depth = true, 1
			if w == b.bos {
				continue
			}
		}
		b.tokens++
		if b.uni[w] == 0 {
			b.seen[w] = b.next
			b.next++
		}
		b.uni[w]++
		b.pw = append(b.pw, w)
		b.pd = append(b.pd, uint8(min(b.depth, b.order)))
		b.depth = min(b.depth+1, MaxOrder)
		if w == b.eos {
			b.open = false
		}
		if len(b.pw) == chunkLen {
			b.flush()
		}
	}
	return nil
}

// chunkLen is the number of positions counted together: long enough that
// the hash-table probes of a chunk overlap in memory, short enough to stay
// in cache.
const chunkLen = 2048

// flush counts the pending positions order by order. The probes of one
// order are independent across positions, so a first pass touches every
// home slot (the misses overlap) before a second pass inserts.
func (b *Builder) flush() {
	L := len(b.pw)
	if L == 0 {
		return
	}
	if b.ids == nil {
		b.ids = make([][]uint32, b.order+1)
		for n := range b.ids {
			b.ids[n] = make([]uint32, chunkLen)
		}
		b.keys = make([]uint64, chunkLen)
		b.hashes = make([]uint64, chunkLen)
	}
	w, d := b.pw, b.pd
	copy(b.ids[1], w)
	var sink uint32
	for n := 2; n <= b.order; n++ {
		low, cur := b.ids[n-1], b.ids[n]
		t := &b.tabs[n]
		// Pass 1: the key of each valid position (its context is the
		// (n-1)-gram ending just before it, or <s> at a sequence start), and
		// a touch of its home slot.
		for i := 0; i < L; i++ {
			if int(d[i]) < n-1 {
				continue
			}
			var ctx uint32
			switch {
			case d[i] == 1:
				ctx = b.bos
			case i == 0:
				ctx = b.carry[n-1]
			default:
				ctx = low[i-1]
			}
			k := uint64(ctx)<<32 | uint64(w[i])
			h := mix64(k)
			b.keys[i], b.hashes[i] = k, h
			sink += uint32(t.slots[t.home(h)])
		}
		// Pass 2: touch the gram whose fingerprint matches.
		gs := &b.grams[n]
		for i := 0; i < L; i++ {
			if int(d[i]) < n-1 {
				continue
			}
			if s := t.slots[t.candidate(b.hashes[i])]; s != 0 {
				sink += gs.at(uint32(s) - 1).cnt
			}
		}
		// Pass 3: look up or insert, and count.
		for i := 0; i < L; i++ {
			if int(d[i]) < n-1 {
				continue
			}
			id, isNew := t.getOrInsert(gs, b.keys[i], b.hashes[i])
			g := gs.at(id)
			if isNew {
				g.suf = low[i]
			}
			g.cnt++
			cur[i] = id
		}
	}
	b.sink += sink
	for n := 1; n <= b.order; n++ {
		b.carry[n] = b.ids[n][L-1]
	}
	b.pw, b.pd = b.pw[:0], b.pd[:0]
}

// Build estimates the model from everything added. It consumes the Builder.
// ctx is checked between phases.
func (b *Builder) Build(ctx context.Context) (*Model, error) {
	if b.built {
		return nil, fmt.Errorf("ngram: Build called twice")
	}
	b.built = true
	b.flush()
	if b.tokens == 0 {
		return nil, fmt.Errorf("ngram: empty corpus: no tokens to count")
	}
	e := estimator{b: b, N: b.order, V: b.v}
	return e.run(ctx)
}

// estimator holds the per-order arrays of one Build.
type estimator struct {
	b    *Builder
	N, V int

	c   []int       // c[n]: number of n-grams of order n
	g   []gramStore // g[n]: the grams of order n ≥ 2
	adj [][]uint32  // adjusted counts
	d   [][3]float64
}

func (e *estimator) progress(format string, args ...any) {
	if e.b.opts.Progress != nil {
		e.b.opts.Progress(fmt.Sprintf(format, args...))
	}
}

func (e *estimator) warn(format string, args ...any) {
	if e.b.opts.Warn != nil {
		e.b.opts.Warn(fmt.Sprintf(format, args...))
	}
}

func (e *estimator) run(ctx context.Context) (*Model, error) {
	b, N, V := e.b, e.N, e.V
	e.c = make([]int, N+1)
	e.g = b.grams
	e.c[1] = V
	for n := 2; n <= N; n++ {
		if e.g[n].len() > math.MaxInt32 {
			return nil, fmt.Errorf("ngram: too many %d-grams (%d)", n, e.g[n].len())
		}
		e.c[n] = e.g[n].len()
		b.tabs[n] = countTable{}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e.progress("adjusted counts and discounts of %d orders", N)
	e.adjust()
	e.discounts()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return e.interpolate(ctx)
}

// adjust computes the adjusted counts a(g) of every order.
func (e *estimator) adjust() {
	b, N := e.b, e.N
	e.adj = make([][]uint32, N+1)
	if N == 1 {
		e.adj[1] = b.uni
		return
	}
	top := make([]uint32, e.c[N])
	for id := range top {
		top[id] = e.g[N].at(uint32(id)).cnt
	}
	e.adj[N] = top
	// startsBOS[id] for the current order, built upward from the unigrams.
	sb := make([][]bool, N)
	sb[1] = make([]bool, e.V)
	sb[1][b.bos] = true
	for n := 2; n < N; n++ {
		s := make([]bool, e.c[n])
		low := sb[n-1]
		for id := range s {
			s[id] = low[e.g[n].at(uint32(id)).prefix()]
		}
		sb[n] = s
	}
	for n := N - 1; n >= 1; n-- {
		a := make([]uint32, e.c[n])
		up := &e.g[n+1]
		for id := 0; id < e.c[n+1]; id++ {
			a[up.at(uint32(id)).suf]++
		}
		if n >= 2 {
			for id, isBOS := range sb[n] {
				if isBOS {
					a[id] = e.g[n].at(uint32(id)).cnt
				}
			}
		}
		// n = 1: only <s> itself starts with <s>; it has no count.
		e.adj[n] = a
	}
}

// raw returns the raw count of n-gram id of order n.
func (e *estimator) raw(n int, id int) uint32 {
	if n == 1 {
		return e.b.uni[id]
	}
	return e.g[n].at(uint32(id)).cnt
}

// pruned reports whether n-gram id of order n falls under the threshold.
func (e *estimator) pruned(n int, id int) bool {
	t := e.b.thr[n]
	return t > 0 && uint64(e.g[n].at(uint32(id)).cnt) <= t
}

// discounts estimates D_n(1..3) per order from counts-of-counts.
func (e *estimator) discounts() {
	e.d = make([][3]float64, e.N+1)
	last := e.lmplzLast()
	for n := 1; n <= e.N; n++ {
		var t [5]float64
		for _, a := range e.adj[n] {
			if a >= 1 && a <= 4 {
				t[a]++
			}
		}
		if id := last[n]; id >= 0 {
			// lmplz's quirk, see lmplzLast.
			if a := e.adj[n][id]; a >= 1 && a <= 4 {
				t[a]--
			}
			if c := e.raw(n, id); c >= 1 && c <= 4 {
				t[c]++
			}
		}
		d, why := closedFormDiscounts(n, t)
		if why != "" {
			fb := e.b.fallback
			e.warn("ngram: order %d: %s; using the fallback discounts D1=%g D2=%g D3+=%g", n, why, fb[0], fb[1], fb[2])
			d = fb
		}
		e.d[n] = d
	}
}

// lmplzLast finds, for each order n < N, the n-gram whose raw count lmplz
// puts into the counts-of-counts in place of its adjusted count (-1: none).
//
// lmplz computes adjusted counts in one pass over the N-grams sorted in
// suffix order (last word first, by its word ids: <unk> 0, <s> 1, </s> 2,
// then words in order of first appearance), padded at sentence starts with
// <s>. When the pass ends, the n-grams still open are the suffixes of the
// last N-gram, and its final flush records their raw counts instead of their
// adjusted counts (lm/builder/adjust_counts.cc). That moves one n-gram per
// order between count classes, which shifts the discounts slightly (for PTB
// unigrams D3+ by 0.003). We reproduce it, so that our discounts and ARPA
// files match lmplz's.
func (e *estimator) lmplzLast() []int {
	b, N := e.b, e.N
	last := make([]int, N+1)
	for i := range last {
		last[i] = -1
	}
	if N == 1 {
		return last
	}
	// lmplz's word ids for the tokens we count.
	rank := func(w uint32) uint64 {
		switch autoreg.Token(w) {
		case b.vocab.UNK():
			return 0
		case b.vocab.BOS():
			return 1
		case b.vocab.EOS():
			return 2
		}
		return 3 + uint64(b.seen[w])
	}
	// first returns the first token of n-gram id of order n.
	first := func(n int, id uint32) uint32 {
		for ; n >= 2; n-- {
			id = e.g[n].at(id).prefix()
		}
		return id
	}
	// The last word: the largest rank among counted tokens.
	best := -1
	for w, c := range b.uni {
		if c > 0 && (best < 0 || rank(uint32(w)) > rank(uint32(best))) {
			best = w
		}
	}
	if best < 0 {
		return last
	}
	last[1] = best
	// Extend leftwards: the left extension with the largest first word.
	cur := uint32(best)
	for n := 2; n < N; n++ {
		if first(n-1, cur) == b.bos {
			break // the N-gram is padded with <s> from here on
		}
		bestID, bestRank := -1, uint64(0)
		for id := 0; id < e.c[n]; id++ {
			if e.g[n].at(uint32(id)).suf != cur {
				continue
			}
			if r := rank(first(n, uint32(id))); bestID < 0 || r > bestRank {
				bestID, bestRank = id, r
			}
		}
		if bestID < 0 {
			break
		}
		last[n] = bestID
		cur = uint32(bestID)
	}
	return last
}

// closedFormDiscounts is Chen & Goodman's eq. 26 on the counts-of-counts
// t[1..4] of order n. why is non-empty when the estimate is impossible or out
// of range.
func closedFormDiscounts(n int, t [5]float64) (d [3]float64, why string) {
	names := [3]string{"D1", "D2", "D3+"}
	for k := 1; k <= 3; k++ {
		if t[k] == 0 {
			return d, fmt.Sprintf("no %d-grams with adjusted count %d, so %s cannot be estimated", n, k, names[k-1])
		}
	}
	y := t[1] / (t[1] + 2*t[2])
	for k := 1; k <= 3; k++ {
		d[k-1] = float64(k) - float64(k+1)*y*t[k+1]/t[k]
		if d[k-1] < 0 || d[k-1] > float64(k) {
			return d, fmt.Sprintf("%s = %.4g is outside [0, %d]", names[k-1], d[k-1], k)
		}
	}
	return d, ""
}

// disc returns D(a) for one order.
func disc(d *[3]float64, a uint32) float64 {
	switch a {
	case 0:
		return 0
	case 1:
		return d[0]
	case 2:
		return d[1]
	}
	return d[2]
}

// log10p stores a probability as KenLM does: log10, never above 0.
func log10p(p float64) float32 {
	return float32(min(0, math.Log10(p)))
}

// interpolate computes the probabilities and backoffs order by order and
// fills the query tables.
func (e *estimator) interpolate(ctx context.Context) (*Model, error) {
	b, N, V := e.b, e.N, e.V
	m := &Model{
		vocab:     b.vocab,
		order:     N,
		bos:       autoreg.Token(b.bos),
		uniProb:   make([]float32, V),
		uniBo:     make([]float32, V),
		counts:    make([]int, N),
		discounts: make([][3]float64, N),
	}
	for n := 1; n <= N; n++ {
		m.discounts[n-1] = e.d[n]
	}
	m.counts[0] = V
	maxC := 0
	for _, c := range e.c {
		maxC = max(maxC, c)
	}
	// Buffers reused across orders: probabilities of the order below and of
	// the current order, denominators and γ numerators per context.
	pLow, pCur := make([]float64, maxC), make([]float64, maxC)
	denB, numB := make([]float64, maxC), make([]float64, maxC)

	// Unigrams.
	d := &e.d[1]
	var den0, num0 float64
	for _, a := range e.adj[1] {
		den0 += float64(a)
		num0 += disc(d, a)
	}
	gamma := num0 / den0
	uniform := 1 / float64(V-1)
	for w, a := range e.adj[1] {
		p := (float64(a)-disc(d, a))/den0 + gamma*uniform
		pLow[w] = p
		m.uniProb[w] = log10p(p)
	}
	m.uniProb[b.bos] = 0 // lmplz writes p(<s>) = 1; it is never predicted
	pLow[b.bos] = 0

	if N >= 3 {
		m.mid = make([][]midEntry, N-2)
	}
	var slotLow []uint32 // slots of order n-1 entries (nil: unigrams, slot = token)
	steps := 0
	for n := 2; n <= N; n++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e.progress("probabilities of order %d of %d", n, N)
		d := &e.d[n]
		cLow := e.c[n-1]
		den, num := denB[:cLow], numB[:cLow]
		clear(den)
		clear(num)
		adj, g := e.adj[n], &e.g[n]
		thr := b.thr[n]
		for id, a := range adj {
			gr := g.at(uint32(id))
			c := gr.prefix()
			den[c] += float64(a)
			if thr > 0 && uint64(gr.cnt) <= thr {
				num[c] += float64(a)
			} else {
				num[c] += disc(d, a)
			}
		}
		// Backoffs of order n-1, then store that order.
		if n-1 == 1 {
			for w := range den {
				if den[w] > 0 {
					m.uniBo[w] = log10p(num[w] / den[w])
				}
			}
		} else {
			slotLow = e.storeMid(m, n-1, pLow, den, num, slotLow, &steps)
		}
		// Interpolated probabilities of order n.
		p := pCur[:e.c[n]]
		for id, a := range adj {
			gr := g.at(uint32(id))
			c := gr.prefix()
			p[id] = (float64(a)-disc(d, a))/den[c] + num[c]/den[c]*pLow[gr.suf]
		}
		pLow, pCur = pCur, pLow
		e.adj[n-1] = nil
		if n > 2 {
			e.g[n-1] = gramStore{}
		}
	}
	if N >= 2 {
		kept := 0
		for id := 0; id < e.c[N]; id++ {
			if !e.pruned(N, id) {
				kept++
			}
		}
		m.top = newTopTable(kept)
		m.counts[N-1] = kept
		var batch [fillBatch]topEntry
		k := 0
		for id := 0; id < e.c[N]; id++ {
			if e.pruned(N, id) {
				continue
			}
			gr := e.g[N].at(uint32(id))
			c := gr.prefix()
			if slotLow != nil {
				c = slotLow[c]
			}
			batch[k] = topEntry{ctx: c, word: gr.word(), prob: log10p(pLow[id])}
			if k++; k == fillBatch {
				insertTopBatch(m.top, batch[:k], &steps)
				k = 0
			}
		}
		insertTopBatch(m.top, batch[:k], &steps)
	}
	return m, nil
}

// storeMid fills the table of order n (2 ≤ n < N) and returns the slot of
// every id (emptyWord for pruned ones).
func (e *estimator) storeMid(m *Model, n int, p, den, num []float64, slotLow []uint32, steps *int) []uint32 {
	c := e.c[n]
	kept := 0
	for id := 0; id < c; id++ {
		if !e.pruned(n, id) {
			kept++
		}
	}
	t := newMidTable(kept)
	slots := make([]uint32, c)
	var batch [fillBatch]midEntry
	var ids [fillBatch]int
	var out [fillBatch]uint32
	k := 0
	flush := func() {
		insertMidBatch(t, batch[:k], out[:k], steps)
		for i := 0; i < k; i++ {
			slots[ids[i]] = out[i]
		}
		k = 0
	}
	for id := 0; id < c; id++ {
		if e.pruned(n, id) {
			slots[id] = emptyWord
			continue
		}
		gr := e.g[n].at(uint32(id))
		ctx, w := gr.prefix(), gr.word()
		if slotLow != nil {
			ctx = slotLow[ctx]
		}
		var bo float32
		if den[id] > 0 {
			bo = log10p(num[id] / den[id])
		}
		batch[k] = midEntry{ctx: ctx, word: w, prob: log10p(p[id]), bo: bo}
		ids[k] = id
		if k++; k == fillBatch {
			flush()
		}
	}
	flush()
	m.mid[n-2] = t
	m.counts[n-1] = kept
	return slots
}
