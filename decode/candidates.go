package decode

import (
	"math"
	"math/rand/v2"

	"github.com/autoreg/autoreg"
)

var negInf = float32(math.Inf(-1))

// Candidates is the working distribution of one decoding step: a score for
// every token of the vocabulary and the set of tokens still in play.
//
// Scores start as the model's log-probabilities and are transformed in place
// by each [Processor] of the chain. A score of −Inf marks a removed token;
// processors change scores of tokens in play and never revive a removed one.
// The distribution a processor sees is always the softmax of the current
// scores over the tokens in play, p_i = exp(s_i) / Σ_j exp(s_j), which for
// untouched model output is the model's own distribution.
//
// Internally the set in play is either "every token with a finite score"
// (dense, the state at the start of a step) or an explicit list of token ids
// (after the first truncation), so that once a truncation has cut the
// vocabulary down to a few dozen tokens, later processors cost a few dozen
// operations rather than a pass over the vocabulary.
type Candidates struct {
	// LogP holds one score per vocabulary token; −Inf means removed.
	LogP []float32
	// MinKeep is the number of tokens every truncation leaves in play, by
	// its own ranking (at least 1).
	MinKeep int
	// History is the sequence so far (prompt and generated tokens), read by
	// the penalties, no-repeat-n-gram and DRY.
	History *History
	// Rand is the random source of processors that draw (XTC); the same
	// generator later makes the final draw. Nil means no randomness: XTC
	// stays off and the draw is greedy.
	Rand *rand.Rand

	ids    []int32 // tokens in play when sparse (may hold ids since set to −Inf)
	sparse bool
	sorted bool    // ids ranked by (score desc, id asc)
	lseOK  bool    // lse is log Σ exp(score) over the tokens in play
	lse    float64 //

	pairs  []pair    // scratch, capacity V
	pairs2 []pair    // scratch, capacity V
	w      []float32 // scratch, capacity V
	keys   []uint64  // scratch, capacity V
}

// NewCandidates returns candidates for a vocabulary of n tokens with all
// scratch space allocated, so that steps allocate nothing.
func NewCandidates(n int) *Candidates {
	c := &Candidates{}
	c.alloc(n)
	return c
}

func (c *Candidates) alloc(n int) {
	c.ids = make([]int32, 0, n)
	c.pairs = make([]pair, 0, n)
	c.pairs2 = make([]pair, 0, n)
	c.w = make([]float32, n)
	c.keys = make([]uint64, n)
	c.MinKeep = 1
}

// Reset starts a step on scores lp (length n, taken over, not copied). When
// normalized is true the scores are trusted to be log-probabilities (Σ exp =
// 1, as [autoreg.State.LogProbs] guarantees), which saves a pass over the
// vocabulary for the first processor that needs the normalizer. NaN scores
// become −Inf.
func (c *Candidates) Reset(lp []float32, normalized bool) {
	for i, v := range lp {
		if v != v {
			lp[i] = negInf
		}
	}
	c.reset(lp, normalized)
}

// reset is Reset for scores known to hold no NaN.
func (c *Candidates) reset(lp []float32, normalized bool) {
	if cap(c.w) < len(lp) {
		c.alloc(len(lp))
	}
	c.LogP = lp
	c.ids = c.ids[:0]
	c.sparse = false
	c.sorted = false
	c.lseOK = normalized
	c.lse = 0
	if c.MinKeep < 1 {
		c.MinKeep = 1
	}
}

// minKeep is MinKeep, at least 1.
func (c *Candidates) minKeep() int { return max(1, c.MinKeep) }

// Len returns the number of tokens in play.
func (c *Candidates) Len() int {
	n := 0
	if c.sparse {
		for _, id := range c.ids {
			if c.LogP[id] > negInf {
				n++
			}
		}
		return n
	}
	for _, v := range c.LogP {
		if v > negInf {
			n++
		}
	}
	return n
}

// Tokens appends the tokens in play to dst, in the candidates' internal order
// (by token id before any truncation, by rank after a ranked truncation).
func (c *Candidates) Tokens(dst []autoreg.Token) []autoreg.Token {
	if c.sparse {
		for _, id := range c.ids {
			if c.LogP[id] > negInf {
				dst = append(dst, autoreg.Token(id))
			}
		}
		return dst
	}
	for i, v := range c.LogP {
		if v > negInf {
			dst = append(dst, autoreg.Token(i))
		}
	}
	return dst
}

// Max returns the largest score in play (−Inf if none).
func (c *Candidates) Max() float32 {
	if c.sparse {
		if c.sorted {
			for _, id := range c.ids {
				if v := c.LogP[id]; v > negInf {
					return v
				}
			}
			return negInf
		}
		return maxIDs(c.LogP, c.ids)
	}
	return maxDense(c.LogP)
}

// LogSumExp returns log Σ exp(s_i) over the tokens in play: subtracting it
// from a score gives that token's log-probability under the current
// distribution.
func (c *Candidates) LogSumExp() float64 {
	if c.lseOK {
		return c.lse
	}
	m := c.Max()
	if m == negInf {
		return math.Inf(-1)
	}
	var s float64
	if c.sparse {
		s = sumExpIDs(c.LogP, c.ids, m)
	} else {
		s = sumExpDense(c.LogP, m)
	}
	c.lse = float64(m) + math.Log(s)
	c.lseOK = true
	return c.lse
}

// Set changes the score of token t to v, keeping the cached normalizer up to
// date. A removed token stays removed.
func (c *Candidates) Set(t autoreg.Token, v float32) {
	old := c.LogP[t]
	if old == v || !(old > negInf) {
		return
	}
	if v != v {
		v = negInf
	}
	c.LogP[t] = v
	if v > negInf {
		c.sorted = false
	}
	if c.lseOK {
		// Z' = Z − e^old + e^v, relative to Z; when nearly all mass is
		// removed the difference loses precision, so recompute lazily.
		r := 1 + math.Exp(float64(v)-c.lse) - math.Exp(float64(old)-c.lse)
		if r > 1e-6 {
			c.lse += math.Log(r)
		} else {
			c.lseOK = false
		}
	}
}

// Changed tells the candidates that a processor wrote LogP directly, so
// cached order and normalizer are stale.
func (c *Candidates) Changed() {
	c.sorted = false
	c.lseOK = false
}

// Remove takes token t out of play.
func (c *Candidates) Remove(t autoreg.Token) { c.Set(t, negInf) }

// gather fills c.pairs with (score, id) for every token in play.
func (c *Candidates) gather() []pair {
	ps := c.pairs[:0]
	if c.sparse {
		for _, id := range c.ids {
			if v := c.LogP[id]; v > negInf {
				ps = append(ps, pair{v, id})
			}
		}
	} else {
		for i, v := range c.LogP {
			if v > negInf {
				ps = append(ps, pair{v, int32(i)})
			}
		}
	}
	c.pairs = ps
	return ps
}

// keep makes exactly the tokens of ps the tokens in play, in the order of
// ps; ranked says ps is in ranking order of the scores. Scores of kept tokens
// are unchanged; every other token becomes −Inf.
func (c *Candidates) keep(ps []pair, ranked bool) {
	vals := c.w[:len(ps)]
	for i, p := range ps {
		vals[i] = c.LogP[p.id]
	}
	if c.sparse {
		for _, id := range c.ids {
			c.LogP[id] = negInf
		}
	} else {
		for i := range c.LogP {
			c.LogP[i] = negInf
		}
	}
	ids := c.ids[:0]
	for i, p := range ps {
		c.LogP[p.id] = vals[i]
		ids = append(ids, p.id)
	}
	c.ids = ids
	c.sparse = true
	c.sorted = ranked
	c.lseOK = false
}

// KeepTop keeps the k best-scored tokens in play (ties: lower id first).
func (c *Candidates) KeepTop(k int) {
	k = max(k, 1)
	if c.sparse {
		if c.sorted {
			c.keepPrefix(k)
			return
		}
		ps := c.gather()
		if len(ps) <= k {
			sortPairs(ps)
			c.keep(ps, true)
			return
		}
		selectTop(ps, k)
		sortPairs(ps[:k])
		c.keep(ps[:k], true)
		return
	}
	var ps []pair
	if k <= 1024 {
		ps = topKDense(c.pairs[:0], c.LogP, k)
	} else {
		ps = c.gather()
		if len(ps) > k {
			selectTop(ps, k)
			ps = ps[:k]
		}
		sortPairs(ps)
	}
	c.keep(ps, true)
}

// keepPrefix keeps the first k live tokens of a ranked sparse list.
func (c *Candidates) keepPrefix(k int) {
	n := 0
	for i, id := range c.ids {
		if !(c.LogP[id] > negInf) {
			continue
		}
		if n == k {
			for _, r := range c.ids[i:] {
				c.LogP[r] = negInf
			}
			c.ids = c.ids[:i]
			break
		}
		n++
	}
	c.lseOK = false
}

// KeepAbove keeps the tokens whose score is at least th; if fewer than
// MinKeep qualify, it keeps the MinKeep best instead (the qualifying tokens
// are always among them, since a threshold keeps a top set).
func (c *Candidates) KeepAbove(th float32) {
	c.keepAbove(th, false)
}

// keepAbove is KeepAbove; nonEmpty promises that th ≤ the best score, so
// that with MinKeep = 1 the fallback can never trigger and a dense set is
// filtered in a single pass.
func (c *Candidates) keepAbove(th float32, nonEmpty bool) {
	mk := c.minKeep()
	if nonEmpty && mk == 1 && !c.sparse {
		ids := c.ids[:0]
		lp := c.LogP
		for i, v := range lp {
			if v >= th {
				ids = append(ids, int32(i))
			} else {
				lp[i] = negInf
			}
		}
		if len(ids) == 0 { // th above every score after all (NaN threshold)
			c.ids = ids
			c.sparse = true
			return
		}
		c.ids = ids
		c.sparse = true
		c.sorted = false
		c.lseOK = false
		return
	}
	n, total := 0, 0
	if c.sparse {
		for _, id := range c.ids {
			if v := c.LogP[id]; v > negInf {
				total++
				if v >= th {
					n++
				}
			}
		}
	} else {
		for _, v := range c.LogP {
			if v > negInf {
				total++
				if v >= th {
					n++
				}
			}
		}
	}
	if n == total {
		return
	}
	if n < mk {
		c.KeepTop(mk)
		return
	}
	// Filter in place; the relative order (and so a ranking) is preserved.
	if c.sparse {
		ids := c.ids[:0]
		for _, id := range c.ids {
			if v := c.LogP[id]; v >= th {
				ids = append(ids, id)
			} else {
				c.LogP[id] = negInf
			}
		}
		c.ids = ids
	} else {
		ids := c.ids[:0]
		for i, v := range c.LogP {
			if v >= th {
				ids = append(ids, int32(i))
			} else {
				c.LogP[i] = negInf
			}
		}
		c.ids = ids
		c.sparse = true
		c.sorted = false
	}
	c.lseOK = false
}

// gatherAbove fills c.pairs with (score, id) for every token in play whose
// score is at least th.
func (c *Candidates) gatherAbove(th float32) []pair {
	ps := c.pairs[:0]
	if c.sparse {
		for _, id := range c.ids {
			if v := c.LogP[id]; v >= th && v > negInf {
				ps = append(ps, pair{v, id})
			}
		}
	} else {
		// Branchless: write every pair, advance past the kept ones
		// (c.pairs has room for the whole vocabulary).
		ps = ps[:len(c.LogP)]
		n := 0
		if th == negInf {
			th = -math.MaxFloat32 // −Inf scores never qualify
		}
		for i, v := range c.LogP {
			ps[n] = pair{v, int32(i)}
			if v >= th {
				n++
			}
		}
		ps = ps[:n]
	}
	c.pairs = ps
	return ps
}

// cutMass keeps the shortest prefix of ps, in ranking order (ps must be
// ranked), whose probability mass reaches target, and at least MinKeep
// pairs. lse is the current normalizer.
func (c *Candidates) cutMass(ps []pair, lse, target float64) {
	mk := min(c.minKeep(), len(ps))
	mass := 0.0
	k := len(ps)
	for i, q := range ps {
		mass += math.Exp(float64(c.LogP[q.id]) - lse)
		if mass >= target {
			k = i + 1
			break
		}
	}
	k = max(k, mk)
	if k == len(ps) && len(ps) == c.Len() {
		return
	}
	c.keep(ps[:k], true)
}

// cutMassKeys is cutMass for unranked candidates, given as the rankKeys of
// the pairs (ks is c.keys): it keeps the tokens of the shortest prefix of ks,
// in ranking order, whose mass reaches target, and at least MinKeep, in the
// order the selection leaves them (see cutByMassKeys).
func (c *Candidates) cutMassKeys(ks []uint64, lse, target float64) {
	mk := min(c.minKeep(), len(ks))
	// Weights are e^{s−m}·e^{m−lse} with m = float32(lse).
	m := float32(lse)
	scale := float32(math.Exp(float64(m) - lse))
	k := cutByMassKeys(ks, c.w, c.LogP, m, scale, target)
	n := k
	if k < mk {
		n = len(ks)
	}
	ps := c.pairs[:n]
	for i, x := range ks[:n] {
		ps[i] = unRankKey(x)
	}
	if k < mk {
		selectTop(ps[k:], mk-k)
		k = mk
	}
	c.keep(ps[:k], false)
}

// gatherKeysAbove fills c.keys with the rankKeys of the tokens in play whose
// score is at least th, in the order of gatherAbove.
func (c *Candidates) gatherKeysAbove(th float32) []uint64 {
	ks := c.keys[:0]
	if c.sparse {
		for _, id := range c.ids {
			if v := c.LogP[id]; v >= th && v > negInf {
				ks = append(ks, rankKey(pair{v, id}))
			}
		}
		return ks
	}
	// Branchless: write every key, advance past the kept ones (c.keys has
	// room for the whole vocabulary).
	ks = ks[:len(c.LogP)]
	n := 0
	if th == negInf {
		th = -math.MaxFloat32 // −Inf scores never qualify
	}
	for i, v := range c.LogP {
		ks[n] = rankKey(pair{v, int32(i)})
		if v >= th {
			n++
		}
	}
	return ks[:n]
}

// Probs writes the current distribution into dst (length of the vocabulary):
// p_i = exp(s_i − LogSumExp) for tokens in play, 0 otherwise. It allocates
// when dst is too short; meant for inspection and tests, not the hot path.
func (c *Candidates) Probs(dst []float64) []float64 {
	if cap(dst) < len(c.LogP) {
		dst = make([]float64, len(c.LogP))
	}
	dst = dst[:len(c.LogP)]
	clear(dst)
	lse := c.LogSumExp()
	for i, v := range c.LogP {
		if v > negInf {
			dst[i] = math.Exp(float64(v) - lse)
		}
	}
	return dst
}

// draw picks a token from the current distribution with u ∈ [0, 1): the
// inverse CDF over the tokens in play in their internal order. It returns
// false when no token is in play.
func (c *Candidates) draw(u float64) (autoreg.Token, bool) {
	m := c.Max()
	if m == negInf {
		return 0, false
	}
	if !c.sparse && c.lseOK {
		return c.drawNormalized(u)
	}
	var sum float64
	w := c.w
	if c.sparse {
		for i, id := range c.ids {
			e := expf(c.LogP[id] - m)
			w[i] = e
			sum += float64(e)
		}
	} else {
		sum = expShift(w[:len(c.LogP)], c.LogP, m) // weights kept for the walk
	}
	target := u * sum
	var acc float64
	last := int32(-1)
	if c.sparse {
		for i, id := range c.ids {
			e := w[i]
			if e == 0 {
				continue
			}
			last = id
			acc += float64(e)
			if acc > target {
				return autoreg.Token(id), true
			}
		}
	} else {
		for i, e := range w[:len(c.LogP)] {
			if e == 0 {
				continue
			}
			last = int32(i)
			acc += float64(e)
			if acc > target {
				return autoreg.Token(i), true
			}
		}
	}
	// Rounding can leave acc a hair below target: the last live token.
	return autoreg.Token(last), last >= 0
}

// drawNormalized is draw for a dense set whose normalizer is known (the
// model's own log-probabilities): the walk computes weights a block at a
// time and stops at the target, about half a pass on average.
func (c *Candidates) drawNormalized(u float64) (autoreg.Token, bool) {
	m := float32(c.lse)
	// Weights are e^{s−m}; they sum to Z_m = e^{lse−m}.
	target := u * math.Exp(c.lse-float64(m))
	const block = 512
	lp, w := c.LogP, c.w
	acc := 0.0
	last := int32(-1)
	for start := 0; start < len(lp); start += block {
		end := min(start+block, len(lp))
		s := expShift(w[:end-start], lp[start:end], m)
		if acc+s <= target {
			acc += s
			for i := end - 1; i >= start; i-- {
				if w[i-start] > 0 {
					last = int32(i)
					break
				}
			}
			continue
		}
		for i, e := range w[:end-start] {
			if e == 0 {
				continue
			}
			last = int32(start + i)
			acc += float64(e)
			if acc > target {
				return autoreg.Token(last), true
			}
		}
	}
	return autoreg.Token(last), last >= 0
}

// argmax returns the best-ranked token in play.
func (c *Candidates) argmax() (autoreg.Token, bool) {
	best, bv := int32(-1), negInf
	if c.sparse {
		for _, id := range c.ids {
			if v := c.LogP[id]; v > bv || (v == bv && v > negInf && id < best) {
				best, bv = id, v
			}
		}
	} else {
		for i, v := range c.LogP {
			if v > bv {
				best, bv = int32(i), v
			}
		}
	}
	return autoreg.Token(best), best >= 0
}
