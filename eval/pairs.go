package eval

import (
	"context"
	"fmt"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
)

// pairChunk is the number of distinct sources encoded per batched pass.
const pairChunk = 256

// Pairs scores the targets of pairs given their sources with a conditional
// model: each target and its closing </s>, after <s>, through the seam
// (one-pass scoring when the conditioned model is an autoreg.Scorer), each
// source encoded once however many targets it has (in batched passes when
// the model is an autoreg.BatchConditional). Result.Sequences counts the
// pairs, Tokens the scored tokens; Chars, Bytes and Files stay zero.
// progress, if not nil, receives the pairs scored so far and the total.
func Pairs(ctx context.Context, c autoreg.Conditional, pairs []corpus.Pair, progress func(done, total int64)) (Result, error) {
	var res Result
	v := c.Vocab()
	groups := GroupPairs(pairs)
	var lps []float64
	var seq []autoreg.Token
	done := int64(0)
	for lo := 0; lo < len(groups); lo += pairChunk {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		chunk := groups[lo:min(lo+pairChunk, len(groups))]
		srcs := make([][]autoreg.Token, len(chunk))
		for i, g := range chunk {
			srcs[i] = g.Src
		}
		models, err := autoreg.ConditionAll(c, srcs)
		if err != nil {
			return res, err
		}
		for i, g := range chunk {
			m := models[i]
			sc, _ := m.(autoreg.Scorer)
			for _, tgt := range g.Tgts {
				st := m.NewState()
				st.Append(v.BOS())
				seq = append(append(seq[:0], tgt...), v.EOS())
				lps = scoreAfter(lps, st, sc, seq)
				for j, x := range seq {
					res.Tokens++
					res.NLL -= lps[j]
					if x == v.UNK() {
						res.OOV++
					} else {
						res.NLLExclOOV -= lps[j]
					}
				}
				res.Sequences++
				done++
			}
		}
		if progress != nil {
			progress(done, int64(len(pairs)))
		}
	}
	return res, nil
}

// PairGroup is a source with all of its targets (the references of a word
// with several pronunciations).
type PairGroup struct {
	Src  []autoreg.Token
	Tgts [][]autoreg.Token
}

// GroupPairs groups pairs by source, in the order of each source's first
// pair.
func GroupPairs(pairs []corpus.Pair) []PairGroup {
	index := map[string]int{}
	var out []PairGroup
	for _, p := range pairs {
		k := fmt.Sprint(p.Src)
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, PairGroup{Src: p.Src})
		}
		out[i].Tgts = append(out[i].Tgts, p.Tgt)
	}
	return out
}
