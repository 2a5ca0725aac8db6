package ngram

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/autoreg/autoreg"
)

// refKN is the plain reference implementation of the equations at the top of
// model.go: maps keyed by n-gram strings, counts and probabilities computed
// straight from the definitions, p(w | h) by the interpolation recursion.
type refKN struct {
	N, V     int
	bos      int
	thr      []uint64
	raw, adj []map[string]int // per order
	d        [][3]float64
	den, num map[string]float64 // per context key
	gamma0   float64
	den0     float64
	fallback []int // orders that used the fallback
}

func key(g []int) string {
	var b strings.Builder
	for i, x := range g {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, x)
	}
	return b.String()
}

func unkey(k string) []int {
	var g []int
	for _, f := range strings.Split(k, ",") {
		var x int
		fmt.Sscan(f, &x)
		g = append(g, x)
	}
	return g
}

// splitSequences applies the Builder's stream rules: BOS opens a sequence,
// EOS is counted and closes it, a token outside a sequence opens one.
// Each result starts with BOS.
func splitSequences(voc autoreg.Vocab, xs []autoreg.Token) [][]int {
	var seqs [][]int
	open := false
	for _, x := range xs {
		if x == voc.BOS() || !open {
			seqs = append(seqs, []int{int(voc.BOS())})
			open = true
			if x == voc.BOS() {
				continue
			}
		}
		seqs[len(seqs)-1] = append(seqs[len(seqs)-1], int(x))
		if x == voc.EOS() {
			open = false
		}
	}
	return seqs
}

func newRefKN(voc autoreg.Vocab, opts Options, xs []autoreg.Token) *refKN {
	N, V := opts.Order, voc.Size()
	thr, err := opts.thresholds()
	if err != nil {
		panic(err)
	}
	fb, _ := opts.fallback()
	r := &refKN{N: N, V: V, bos: int(voc.BOS()), thr: thr,
		raw: make([]map[string]int, N+1), adj: make([]map[string]int, N+1),
		d: make([][3]float64, N+1), den: map[string]float64{}, num: map[string]float64{}}
	for n := 1; n <= N; n++ {
		r.raw[n] = map[string]int{}
		r.adj[n] = map[string]int{}
	}
	seqs := splitSequences(voc, xs)
	firstSeen := map[int]int{}
	for _, s := range seqs {
		for t := 1; t < len(s); t++ {
			if _, ok := firstSeen[s[t]]; !ok {
				firstSeen[s[t]] = len(firstSeen)
			}
			for n := 1; n <= N && t-n+1 >= 0; n++ {
				r.raw[n][key(s[t-n+1:t+1])]++
			}
		}
	}
	// Adjusted counts.
	for k, c := range r.raw[N] {
		r.adj[N][k] = c
	}
	for n := N - 1; n >= 1; n-- {
		for k := range r.raw[n+1] {
			g := unkey(k)
			r.adj[n][key(g[1:])]++
		}
		for k, c := range r.raw[n] {
			if unkey(k)[0] == r.bos {
				r.adj[n][k] = c
			}
		}
	}
	// lmplz's quirk (see lmplzLast): the largest padded N-gram in suffix
	// order passes raw counts of its suffixes to the counts-of-counts.
	rank := func(w int) int {
		switch autoreg.Token(w) {
		case voc.UNK():
			return 0
		case voc.BOS():
			return 1
		case voc.EOS():
			return 2
		}
		return 3 + firstSeen[w]
	}
	var lastFull []int
	for _, s := range seqs {
		padded := append(slices.Repeat([]int{r.bos}, N-1), s[1:]...)
		for t := N - 1; t < len(padded); t++ {
			g := padded[t-N+1 : t+1]
			if lastFull == nil || suffixLess(lastFull, g, rank) {
				lastFull = slices.Clone(g)
			}
		}
	}
	quirk := map[string]bool{}
	if N > 1 && lastFull != nil {
		for n := 1; n < N; n++ {
			g := lastFull[N-n:]
			if slices.Contains(g[1:], r.bos) {
				break
			}
			quirk[key(g)] = true
		}
	}
	// Discounts.
	for n := 1; n <= N; n++ {
		var t [5]float64
		for k, a := range r.adj[n] {
			if quirk[k] && n < N {
				a = r.raw[n][k]
			}
			if a >= 1 && a <= 4 {
				t[a]++
			}
		}
		ok := true
		for j := 1; j <= 3; j++ {
			if t[j] == 0 {
				ok = false
			}
		}
		if ok {
			y := t[1] / (t[1] + 2*t[2])
			for j := 1; j <= 3; j++ {
				r.d[n][j-1] = float64(j) - float64(j+1)*y*t[j+1]/t[j]
				if r.d[n][j-1] < 0 || r.d[n][j-1] > float64(j) {
					ok = false
				}
			}
		}
		if !ok {
			r.d[n] = fb
			r.fallback = append(r.fallback, n)
		}
	}
	// Denominators and gamma numerators.
	for n := 1; n <= N; n++ {
		for k, a := range r.adj[n] {
			g := unkey(k)
			h := key(g[:n-1])
			if n == 1 {
				h = ""
			}
			r.den[h] += float64(a)
			if r.pruned(n, k) {
				r.num[h] += float64(a)
			} else {
				r.num[h] += r.disc(n, a)
			}
		}
	}
	r.den0, r.gamma0 = r.den[""], r.num[""]/r.den[""]
	return r
}

// suffixLess compares two N-grams in lmplz's suffix order.
func suffixLess(a, b []int, rank func(int) int) bool {
	for i := len(a) - 1; i >= 0; i-- {
		if ra, rb := rank(a[i]), rank(b[i]); ra != rb {
			return ra < rb
		}
	}
	return false
}

func (r *refKN) pruned(n int, k string) bool {
	return n >= 2 && r.thr[n] > 0 && uint64(r.raw[n][k]) <= r.thr[n]
}

func (r *refKN) disc(n, a int) float64 {
	switch {
	case a == 0:
		return 0
	case a >= 3:
		return r.d[n][2]
	}
	return r.d[n][a-1]
}

// p is the interpolated probability of w after history hist.
func (r *refKN) p(hist []int, w int) float64 {
	if w == r.bos {
		return 0
	}
	if len(hist) > r.N-1 {
		hist = hist[len(hist)-(r.N-1):]
	}
	return r.interp(hist, w)
}

func (r *refKN) interp(h []int, w int) float64 {
	if len(h) == 0 {
		a := r.adj[1][key([]int{w})]
		return (float64(a)-r.disc(1, a))/r.den0 + r.gamma0/float64(r.V-1)
	}
	hk := key(h)
	den := r.den[hk]
	if den == 0 {
		return r.interp(h[1:], w)
	}
	n := len(h) + 1
	g := key(append(slices.Clone(h), w))
	u := 0.0
	if a, ok := r.adj[n][g]; ok && !r.pruned(n, g) {
		u = (float64(a) - r.disc(n, a)) / den
	}
	return u + r.num[hk]/den*r.interp(h[1:], w)
}

// randomStream draws sequences over a small vocabulary with a skewed
// distribution and some Markov structure, mixing explicit and implied BOS.
func randomStream(rng *rand.Rand, voc autoreg.Vocab, seqs int) []autoreg.Token {
	var xs []autoreg.Token
	for s := 0; s < seqs; s++ {
		if rng.IntN(4) != 0 {
			xs = append(xs, voc.BOS())
		}
		l := rng.IntN(12)
		prev := 0
		for i := 0; i < l; i++ {
			var x int
			if rng.IntN(3) == 0 {
				x = rng.IntN(voc.Base)
			} else {
				x = (prev*3 + rng.IntN(2)) % voc.Base
			}
			x = min(x, int(rng.ExpFloat64()*float64(voc.Base)/3))
			xs = append(xs, autoreg.Token(x))
			prev = x
		}
		if rng.IntN(5) != 0 {
			xs = append(xs, voc.EOS())
		}
	}
	return xs
}

func TestAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < trials(24); trial++ {
		voc := autoreg.Vocab{Base: 3 + rng.IntN(8)}
		if trial%5 == 0 {
			voc.Controls = []string{"ctl"}
		}
		opts := Options{Order: 1 + trial%6}
		switch trial % 4 {
		case 1:
			opts.Prune = []uint64{0, 1}
		case 2:
			opts.Prune = []uint64{0, 0, 2}
		}
		if len(opts.Prune) > opts.Order {
			opts.Prune = opts.Prune[:opts.Order]
		}
		if trial%3 == 0 {
			opts.DiscountFallback = [3]float64{0.4, 0.9, 1.3}
		}
		seqs := 40 + rng.IntN(300)
		if trial%7 == 3 {
			seqs = 2500 // several counting chunks
		}
		xs := randomStream(rng, voc, seqs)
		var warns int
		opts.Warn = func(string) { warns++ }
		b, err := NewBuilder(voc, opts)
		if err != nil {
			t.Fatal(err)
		}
		// Feed in uneven chunks: chunk boundaries must not matter.
		for i := 0; i < len(xs); {
			j := min(len(xs), i+1+rng.IntN(17))
			if err := b.Add(xs[i:j]); err != nil {
				t.Fatal(err)
			}
			i = j
		}
		m, err := b.Build(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		ref := newRefKN(voc, opts, xs)
		if warns != len(ref.fallback) {
			t.Errorf("trial %d: %d warnings, reference used the fallback for orders %v", trial, warns, ref.fallback)
		}
		for n, d := range m.Discounts() {
			for j := range d {
				if math.Abs(d[j]-ref.d[n+1][j]) > 1e-12 {
					t.Fatalf("trial %d: order %d discounts %v, reference %v", trial, n+1, d, ref.d[n+1])
				}
			}
		}
		t.Logf("trial %d: order %d prune %v fallback orders %v counts %v", trial, opts.Order, opts.Prune, ref.fallback, m.Counts())
		// Random histories, including BOS in the middle and unseen tokens.
		for h := 0; h < 60; h++ {
			l := rng.IntN(2 * opts.Order)
			var hist []int
			st := m.NewState()
			if rng.IntN(2) == 0 {
				hist = append(hist, int(voc.BOS()))
			}
			for len(hist) < l {
				hist = append(hist, rng.IntN(voc.Size()))
			}
			for _, x := range hist {
				st.Append(autoreg.Token(x))
			}
			sum := 0.0
			for w := 0; w < voc.Size(); w++ {
				want := ref.p(hist, w)
				got := st.LogProb(autoreg.Token(w))
				sum += math.Exp(got)
				if want == 0 {
					if !math.IsInf(got, -1) {
						t.Fatalf("trial %d: p(%d | %v) = %g, want 0", trial, w, hist, math.Exp(got))
					}
					continue
				}
				if math.Abs(got-math.Log(want)) > 2e-6*max(1, math.Abs(math.Log(want))) {
					t.Fatalf("trial %d (order %d, prune %v): log p(%d | %v) = %.8f, reference %.8f",
						trial, opts.Order, opts.Prune, w, hist, got, math.Log(want))
				}
			}
			if math.Abs(sum-1) > 1e-6 {
				t.Fatalf("trial %d: probabilities after %v sum to %.9f", trial, hist, sum)
			}
		}
	}
}

// trials scales a randomized test: NGRAM_TRIALS=n multiplies its trials.
func trials(n int) int {
	var k int
	if _, err := fmt.Sscan(os.Getenv("NGRAM_TRIALS"), &k); err == nil && k > 1 {
		return n * k
	}
	return n
}
