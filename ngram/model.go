package ngram

// Interpolated modified Kneser-Ney (Chen & Goodman 1998, "An Empirical Study
// of Smoothing Techniques for Language Modeling", TR-10-98, §3 and eq. 26),
// with the conventions of KenLM's lmplz (Heafield, Pouzyrevsky, Clark & Koehn
// 2013, "Scalable Modified Kneser-Ney Language Model Estimation", ACL).
//
// Counting. Each sequence is <s> x1 .. xT (xT usually </s>). An n-gram is any
// run of n tokens inside one sequence; n-grams never cross sequences, <s> only
// ever appears first (context, never predicted). c(g) is the raw count of g.
//
// Adjusted counts a(g) for an n-gram g of order n in a model of order N:
//
//	a(g) = c(g)                      if n = N or g starts with <s>
//	a(g) = |{v : c(v g) > 0}|         otherwise (distinct left extensions,
//	                                  v may be <s>)
//
// a(<s>) = 0: <s> is never predicted. Tokens of the vocabulary that never
// occur have a = 0 too ("zerotons", like lmplz's <unk>).
//
// Discounts, per order n, from the counts-of-counts t_k = |{g : a(g) = k}|
// over all n-grams of that order (pruned ones included):
//
//	Y      = t1 / (t1 + 2 t2)
//	D_n(k) = k - (k+1) Y t_{k+1} / t_k       for k = 1, 2, 3 (3 means 3+)
//	D_n(0) = 0
//
// If some t_k (k ≤ 3) is 0 or some D_n(k) falls outside [0, k], the order
// uses the fallback discounts (default 0.5, 1, 1.5, lmplz --discount_fallback)
// and a warning is reported.
//
// Interpolation. For an n-gram h w (h the context of n-1 tokens, h' = h
// without its first token), with pruned n-grams P (see Options.Prune):
//
//	den(h)   = Σ_x a(h x)                                   (pruned included)
//	γ(h)     = ( Σ_{x: hx∉P} D_n(a(h x)) + Σ_{x: hx∈P} a(h x) ) / den(h)
//	u(w | h) = (a(h w) - D_n(a(h w))) / den(h)
//	p(w | h) = u(w | h) + γ(h) p(w | h')
//
// and at the bottom, with V the vocabulary size and the uniform distribution
// over the V-1 predictable tokens (all but <s>, exactly as lmplz divides by
// its unigram count minus one):
//
//	p(w) = (a(w) - D_1(a(w))) / Σ_x a(x) + γ(ε) / (V-1),   γ(ε) = Σ_x D_1(a(x)) / Σ_x a(x)
//
// so a token never seen in training (and <unk>) gets exactly γ(ε)/(V-1).
//
// Storage and query (the ARPA backoff form of the same model). Every stored
// n-gram g keeps log10 p(g) and, if it is a context, log10 b(g) with
// b(g) = γ(g) (b = 1 when g has no extensions). For a history whose longest
// stored suffix of length ≤ N-1 is h = h_k .. h_1:
//
//	p(w | h) = p(h_m..h_1 w) · Π_{j=m+1..k} b(h_j..h_1)
//
// where h_m..h_1 w is the longest stored n-gram ending in w (m = 0: the
// unigram). This equals the recursive interpolation above because a pruned
// or unseen h w falls back to γ(h) p(w | h').

import (
	"fmt"
	"math"

	"github.com/autoreg/autoreg"
)

// MaxOrder is the highest n-gram order the package builds and loads.
const MaxOrder = 12

// ln10 converts log10 to natural log.
const ln10 = math.Ln10

// Model is a backoff n-gram language model: interpolated modified
// Kneser-Ney when estimated by a [Builder], or whatever an ARPA file holds.
// It implements [autoreg.Model]; it is read-only and safe for concurrent use.
type Model struct {
	vocab autoreg.Vocab
	order int
	bos   autoreg.Token

	// Unigrams are indexed by token id; every vocabulary token has one.
	uniProb []float32 // log10 p(w); the <s> entry is stored but never predicted
	uniBo   []float32 // log10 b(w)

	mid [][]midEntry // orders 2..order-1 at index n-2
	top []topEntry   // order ≥ 2: the highest order

	counts    []int        // n-grams per order, counts[0] = vocabulary size
	discounts [][3]float64 // per order D(1), D(2), D(3+); nil when unknown (ARPA)
}

var _ autoreg.Model = (*Model)(nil)

// Vocab returns the token space of the model.
func (m *Model) Vocab() autoreg.Vocab { return m.vocab }

// Order returns n, the length of the longest n-grams.
func (m *Model) Order() int { return m.order }

// Counts returns the number of stored n-grams per order (index 0 is the
// unigrams: the vocabulary size).
func (m *Model) Counts() []int { return append([]int(nil), m.counts...) }

// Discounts returns the discounts D(1), D(2), D(3+) used for each order, or
// nil for a model read from an ARPA file.
func (m *Model) Discounts() [][3]float64 {
	if m.discounts == nil {
		return nil
	}
	return append([][3]float64(nil), m.discounts...)
}

// SizeBytes is the memory held by the model's tables, in bytes.
func (m *Model) SizeBytes() int64 {
	n := int64(len(m.uniProb)+len(m.uniBo)) * 4
	for _, t := range m.mid {
		n += int64(len(t)) * 16
	}
	n += int64(len(m.top)) * 12
	return n
}

// NewState returns a State holding the empty history.
func (m *Model) NewState() autoreg.State { return &State{m: m} }

// State is a history of a [Model]: the slots of the longest context suffixes
// that the model stores (at most Order()-1 tokens), KenLM's minimal state.
// Append, LogProb and CopyTo never allocate.
type State struct {
	m   *Model
	n   int // tokens appended since Reset
	cur int // which of ctx[0], ctx[1] is the history; the other is LogProb's scratch

	// ctx[cur].k context levels are valid: level j is the stored n-gram made
	// of the last j+1 tokens, at slot[j] of order j+1 (slot[0] is the token).
	ctx [2]history

	cacheOK  bool          // ctx[1-cur] holds the context after appending cacheTok
	cacheTok autoreg.Token // token of the last LogProb call
}

type history struct {
	k    int
	slot [MaxOrder - 1]uint32
	bo   [MaxOrder - 1]float32
}

var _ autoreg.State = (*State)(nil)

func (s *State) check(x autoreg.Token) {
	if uint(x) >= uint(len(s.m.uniProb)) {
		panic(fmt.Sprintf("ngram: token %d outside the vocabulary [0, %d)", x, len(s.m.uniProb)))
	}
}

// LogProb returns log P(next = x | history) in nats (-Inf for <s>, which is
// never predicted; an id outside the vocabulary panics). It also prepares
// the context for Append(x), so scoring a sequence as LogProb(x); Append(x)
// probes each table once.
func (s *State) LogProb(x autoreg.Token) float64 {
	s.check(x)
	m := s.m
	if x == m.bos {
		s.cacheOK = false
		return math.Inf(-1)
	}
	h := &s.ctx[s.cur]
	nx := &s.ctx[1-s.cur]
	w := uint32(x)
	p := m.uniProb[x]
	nx.slot[0] = w
	nx.bo[0] = m.uniBo[x]
	// A probe per order, longest last. Touching all home slots first (so that
	// their misses overlap) measured slower: the bigram probe misses for
	// most tokens, and the CPU already overlaps the next probe speculatively.
	match := 0
	for j := 0; j < h.k; j++ {
		if j+2 < m.order {
			t := m.mid[j]
			i := findMid(t, h.slot[j], w)
			if i < 0 {
				break
			}
			e := &t[i]
			p = e.prob
			nx.slot[j+1] = uint32(i)
			nx.bo[j+1] = e.bo
		} else {
			i := findTop(m.top, h.slot[j], w)
			if i < 0 {
				break
			}
			p = m.top[i].prob
		}
		match = j + 1
	}
	lp := float64(p)
	for j := match; j < h.k; j++ {
		lp += float64(h.bo[j])
	}
	nx.k = min(match+1, m.order-1)
	s.cacheOK, s.cacheTok = true, x
	return lp * ln10
}

// Append conditions the state on xs. Appending <s> starts a new sequence:
// no stored n-gram continues across it.
func (s *State) Append(xs ...autoreg.Token) {
	for _, x := range xs {
		s.check(x)
		if !s.cacheOK || s.cacheTok != x {
			s.extend(x)
		}
		s.cur ^= 1
		s.cacheOK = false
		s.n++
	}
}

// extend computes into ctx[1-cur] the context after appending x.
func (s *State) extend(x autoreg.Token) {
	m := s.m
	h := &s.ctx[s.cur]
	nx := &s.ctx[1-s.cur]
	w := uint32(x)
	nx.slot[0] = w
	nx.bo[0] = m.uniBo[x]
	k := 1
	if x != m.bos {
		for j := 0; j < h.k && j+2 < m.order; j++ {
			t := m.mid[j]
			i := findMid(t, h.slot[j], w)
			if i < 0 {
				break
			}
			nx.slot[j+1] = uint32(i)
			nx.bo[j+1] = t[i].bo
			k = j + 2
		}
	}
	nx.k = min(k, m.order-1)
}

// LogProbs writes log P(next = k | history) in nats for every token k into
// dst, which must have length Vocab().Size(). <s> gets -Inf.
func (s *State) LogProbs(dst []float32) {
	m := s.m
	if len(dst) != len(m.uniProb) {
		panic(fmt.Sprintf("ngram: LogProbs: len(dst) = %d, vocabulary size %d", len(dst), len(m.uniProb)))
	}
	h := &s.ctx[s.cur]
	for x := range dst {
		w := uint32(x)
		p := m.uniProb[x]
		match := 0
		for j := 0; j < h.k; j++ {
			if j+2 < m.order {
				t := m.mid[j]
				i := findMid(t, h.slot[j], w)
				if i < 0 {
					break
				}
				p = t[i].prob
			} else {
				i := findTop(m.top, h.slot[j], w)
				if i < 0 {
					break
				}
				p = m.top[i].prob
			}
			match = j + 1
		}
		// The same additions in the same order as LogProb, so that
		// dst[x] == float32(LogProb(x)) bit for bit.
		lp := float64(p)
		for j := match; j < h.k; j++ {
			lp += float64(h.bo[j])
		}
		dst[x] = float32(lp * ln10)
	}
	dst[m.bos] = float32(math.Inf(-1))
}

// CopyTo makes dst, a State of the same Model, an independent copy of s.
func (s *State) CopyTo(dst autoreg.State) {
	d, ok := dst.(*State)
	if !ok || d.m != s.m {
		panic("ngram: CopyTo: destination is not a State of the same Model")
	}
	*d = *s
}

// Reset returns the state to the empty history.
func (s *State) Reset() {
	s.n = 0
	s.ctx[s.cur].k = 0
	s.cacheOK = false
}

// Len is the number of tokens appended since the last Reset.
func (s *State) Len() int { return s.n }
