package eval

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/seq2seq"
)

// TestPairs: the target NLL through the seam equals the encoder-decoder's
// teacher-forced loss, pair by pair, and sources repeat without harm.
func TestPairs(t *testing.T) {
	v, sv := autoreg.Vocab{Base: 10}, autoreg.Vocab{Base: 6}
	m, err := seq2seq.New(seq2seq.Config{EncLayers: 1, DecLayers: 1, Dim: 16, Heads: 2, FFN: 16, SrcContext: 8, Context: 8}, v, sv, 3)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range m.Arena().Params {
		m.Arena().Params[i] += float32(0.1 * rng.NormFloat64())
	}
	m.ParamsChanged()
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
		src := append(toInt32(p.Src), int32(sv.EOS()))
		x := append([]int32{int32(v.BOS())}, toInt32(p.Tgt)...)
		y := append(toInt32(p.Tgt), int32(v.EOS()))
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

func toInt32(ts []autoreg.Token) []int32 {
	out := make([]int32, len(ts))
	for i, t := range ts {
		out[i] = int32(t)
	}
	return out
}
