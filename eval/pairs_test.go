package eval

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/internal/testutil/neuraltest"
	"github.com/autoreg/autoreg/internal/testutil/pairtest"
)

// TestPairs: the target NLL through the seam equals the encoder-decoder's
// teacher-forced loss, pair by pair, and sources repeat without harm.
func TestPairs(t *testing.T) {
	v, sv := pairtest.Target, pairtest.Source
	rng := rand.New(rand.NewPCG(1, 1))
	m := pairtest.Model(t, rng)
	var pairs []corpus.Pair
	for i := range 7 {
		src := []autoreg.Token{autoreg.Token(i % 3), 1}
		tgt := make([]autoreg.Token, 1+rng.IntN(5))
		for j := range tgt {
			tgt[j] = autoreg.Token(rng.IntN(v.Base))
		}
		pairs = append(pairs, corpus.Pair{Src: src, Tgt: tgt})
	}
	res, err := Pairs(context.Background(), m, pairs, nil)
	if err != nil {
		t.Fatal(err)
	}
	var want float64
	var n int64
	for _, p := range pairs {
		S, T := len(p.Src)+1, len(p.Tgt)+1
		src := append(neuraltest.Tokens(p.Src), int32(sv.EOS()))
		x := append([]int32{int32(v.BOS())}, neuraltest.Tokens(p.Tgt)...)
		y := append(neuraltest.Tokens(p.Tgt), int32(v.EOS()))
		s, c := m.ForwardPairs(src, []int32{int32(S)}, S, x, y, 1, T, nil)
		want += s
		n += int64(c)
	}
	if res.Tokens != n || res.Sequences != int64(len(pairs)) || math.Abs(res.NLL-want) > 1e-4*want {
		t.Fatalf("tokens %d NLL %v over %d pairs, want %d and %v", res.Tokens, res.NLL, res.Sequences, n, want)
	}
	if g := GroupPairs(pairs); len(g) != 3 || len(g[0].Tgts) != 3 {
		t.Fatalf("groups %v", g)
	}
}
