package eval

import (
	"math"
	"unicode"

	"github.com/autoreg/autoreg"
)

// Task metrics of a transducer (an encoder-decoder's decoded outputs
// against references), each input with one or more references: a
// grapheme-to-phoneme word with several pronunciations is right if the
// output matches any of them (the CMUdict convention).
//
//	error rate        = inputs whose output matches no reference / inputs
//	                    (word error rate for G2P, sentence error rate in general)
//	token error rate  = Σ min_r EditDistance(output, r) / Σ len(r*),
//	                    r* the closest reference (phoneme error rate for G2P)
//	chrF              = character n-gram F-score, n = 1..6, β = 2
//	                    (Popović 2015), whitespace removed, corpus-level
//	                    statistics, each output against its best reference
//
// EditDistance is Levenshtein's: insertions, deletions and substitutions
// of whole tokens, each costing one.

// EditDistance returns the Levenshtein distance between two sequences.
func EditDistance[T comparable](a, b []T) int {
	if len(a) < len(b) {
		a, b = b, a
	}
	row := make([]int, len(b)+1)
	for j := range row {
		row[j] = j
	}
	for i := 1; i <= len(a); i++ {
		diag := row[0]
		row[0] = i
		for j := 1; j <= len(b); j++ {
			up := row[j]
			cost := diag
			if a[i-1] != b[j-1] {
				cost = min(diag, up, row[j-1]) + 1
			}
			row[j] = cost
			diag = up
		}
	}
	return row[len(b)]
}

// chrFOrder is chrF's largest character n-gram and chrFBeta its β.
const (
	chrFOrder = 6
	chrFBeta  = 2
)

// TaskResult accumulates the task metrics over inputs.
type TaskResult struct {
	Inputs    int64 // inputs scored
	Errors    int64 // inputs whose output matches no reference
	EditDist  int64 // Σ edit distance to the closest reference
	RefTokens int64 // Σ tokens of the closest references
	// chrF statistics per n-gram order: matches, n-grams of the outputs
	// and of the chosen references.
	match, hyp, ref [chrFOrder]int64
}

// Add scores one input's output (tokens and text) against its references
// (tokens and texts, in the same order; at least one).
func (r *TaskResult) Add(out []autoreg.Token, outText string, refs [][]autoreg.Token, refTexts []string) {
	r.Inputs++
	best, bestLen, exact := math.MaxInt, 0, false
	for _, ref := range refs {
		d := EditDistance(out, ref)
		if d < best || (d == best && len(ref) > bestLen) {
			best, bestLen = d, len(ref)
		}
		exact = exact || d == 0
	}
	if !exact {
		r.Errors++
	}
	r.EditDist += int64(best)
	r.RefTokens += int64(bestLen)
	hg := charNgrams(outText)
	var bm, bh, br [chrFOrder]int64
	bestF := -1.0
	for _, t := range refTexts {
		m, h, rr := chrFStats(hg, charNgrams(t))
		if f := chrF(m, h, rr); f > bestF {
			bestF, bm, bh, br = f, m, h, rr
		}
	}
	for n := range chrFOrder {
		r.match[n] += bm[n]
		r.hyp[n] += bh[n]
		r.ref[n] += br[n]
	}
}

// ErrorRate is the share of inputs whose output matches no reference.
func (r TaskResult) ErrorRate() float64 { return float64(r.Errors) / float64(r.Inputs) }

// TokenErrorRate is the summed edit distance over the closest references'
// length.
func (r TaskResult) TokenErrorRate() float64 { return float64(r.EditDist) / float64(r.RefTokens) }

// ChrF is the corpus-level chrF score in [0, 100].
func (r TaskResult) ChrF() float64 { return 100 * chrF(r.match, r.hyp, r.ref) }

// charNgrams counts the character n-grams (n = 1..chrFOrder) of s with
// its whitespace removed.
func charNgrams(s string) [chrFOrder]map[string]int {
	var rs []rune
	for _, c := range s {
		if !unicode.IsSpace(c) {
			rs = append(rs, c)
		}
	}
	var g [chrFOrder]map[string]int
	for n := range chrFOrder {
		g[n] = map[string]int{}
		for i := 0; i+n+1 <= len(rs); i++ {
			g[n][string(rs[i:i+n+1])]++
		}
	}
	return g
}

// chrFStats returns the clipped matches and the totals of each order.
func chrFStats(h, r [chrFOrder]map[string]int) (m, hn, rn [chrFOrder]int64) {
	for n := range chrFOrder {
		for k, c := range h[n] {
			hn[n] += int64(c)
			m[n] += int64(min(c, r[n][k]))
		}
		for _, c := range r[n] {
			rn[n] += int64(c)
		}
	}
	return
}

// chrF is the F_β score of precision and recall averaged over the orders
// that have n-grams (sacreBLEU's chrF), in [0, 1].
func chrF(m, h, r [chrFOrder]int64) float64 {
	var p, rc float64
	var np, nr int
	for n := range chrFOrder {
		if h[n] > 0 {
			p += float64(m[n]) / float64(h[n])
			np++
		}
		if r[n] > 0 {
			rc += float64(m[n]) / float64(r[n])
			nr++
		}
	}
	if np == 0 || nr == 0 {
		return 0
	}
	p, rc = p/float64(np), rc/float64(nr)
	if p+rc == 0 {
		return 0
	}
	b2 := float64(chrFBeta * chrFBeta)
	return (1 + b2) * p * rc / (b2*p + rc)
}
