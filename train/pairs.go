package train

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
)

// Training on (source, target) pairs: an encoder-decoder learns
// P(target | source) by teacher forcing, the mean negative log-likelihood
// of every target token and the closing </s>.
//
// Batches are length-bucketed: each epoch shuffles the pairs (from the
// seed and the epoch number alone), sorts pools of bucketPool·Batch of them
// by length, cuts the pools into batches of Batch pairs of similar lengths
// (little padding) and shuffles the batches. A micro-batch is one batch;
// the data position (epoch, batch) is all a checkpoint needs to resume
// exactly.

// PairModel is a family trained on pairs (package seq2seq).
type PairModel interface {
	Trainable
	autoreg.Model
	// ForwardPairs runs B pairs and returns the summed loss in nats and
	// the number of targets: sources src (B×S, row-major), each its tokens
	// then the source vocabulary's </s>, padded with any valid id, with
	// srcLen[b] real positions; decoder inputs x and targets y (B×T),
	// Ignore marking padding. rng drives dropout; nil means evaluation.
	// Activations stay for Backward.
	ForwardPairs(src, srcLen []int32, S int, x, y []int32, B, T int, rng *rand.Rand) (sum float64, n int)
	// SourceVocab is the sources' token space.
	SourceVocab() autoreg.Vocab
	// MaxSourceLen and ContextLen bound a pair: source tokens, and target
	// tokens with <s>.
	MaxSourceLen() int
	ContextLen() int
}

// pairBatcher is an epoch's order of batches over the training pairs.
type pairBatcher struct {
	epoch   int64
	batches [][]int32 // pair indices
	ready   bool
}

// plan orders the pairs of epoch into batches of B (see above).
func planPairs(pairs []corpus.Pair, B int, seed uint64, epoch int64) pairBatcher {
	rng := rand.New(rand.NewPCG(seed^0x7061697273, uint64(epoch))) // "pairs"
	byLen := func(a, b int32) int {
		pa, pb := pairs[a], pairs[b]
		return cmp.Or(cmp.Compare(len(pa.Tgt), len(pb.Tgt)), cmp.Compare(len(pa.Src), len(pb.Src)))
	}
	batches := lengthBuckets(len(pairs), B, rng, byLen)
	return pairBatcher{epoch: epoch, batches: batches, ready: true}
}

// pairArrays are the padded arrays of one batch.
type pairArrays struct {
	src, srcLen, x, y []int32
	B, S, T           int
}

// fill lays out the pairs of idx as a padded batch (see PairModel).
func (p *pairArrays) fill(pairs []corpus.Pair, idx []int32, m PairModel) int {
	srcEOS := int32(m.SourceVocab().EOS())
	v := m.Vocab()
	B, S, T := len(idx), 1, 1
	for _, i := range idx {
		S, T = max(S, len(pairs[i].Src)+1), max(T, len(pairs[i].Tgt)+1)
	}
	p.B, p.S, p.T = B, S, T
	p.src, p.srcLen = grow(p.src, B*S), grow(p.srcLen, B)
	p.x, p.y = grow(p.x, B*T), grow(p.y, B*T)
	n := 0
	for b, i := range idx {
		pr := pairs[i]
		row := p.src[b*S : (b+1)*S]
		for j := range row {
			row[j] = srcEOS
		}
		for j, t := range pr.Src {
			row[j] = int32(t)
		}
		p.srcLen[b] = int32(len(pr.Src) + 1)
		x, y := p.x[b*T:(b+1)*T], p.y[b*T:(b+1)*T]
		x[0] = int32(v.BOS())
		for j, t := range pr.Tgt {
			x[j+1], y[j] = int32(t), int32(t)
		}
		y[len(pr.Tgt)] = int32(v.EOS())
		for j := len(pr.Tgt) + 1; j < T; j++ {
			x[j], y[j] = int32(v.EOS()), Ignore
		}
		n += len(pr.Tgt) + 1
	}
	return n
}

// grow returns s resliced to length n, or a new zeroed slice when s has
// less capacity: a scratch buffer reused across steps. Contents are not
// kept or cleared.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

func (t *Trainer) runPairs(ctx context.Context, data Data) error {
	m := t.Model.(PairModel)
	o := t.Opts
	if len(data.TrainPairs) == 0 {
		return errors.New("train: no training pairs")
	}
	for _, set := range [][]corpus.Pair{data.TrainPairs, data.ValidPairs} {
		for i, p := range set {
			if len(p.Src) > m.MaxSourceLen() || len(p.Tgt)+1 > m.ContextLen() {
				return fmt.Errorf("train: pair %d has %d source and %d target tokens, the model takes at most %d and %d",
					i+1, len(p.Src), len(p.Tgt), m.MaxSourceLen(), m.ContextLen()-1)
			}
		}
	}
	mb := make([]pairArrays, o.Accum)
	idx := make([][]int32, o.Accum)
	var mrt mrtBatch
	return t.loop(ctx, func() (float64, int, int64) {
		for k := range o.Accum {
			if !t.pairs.ready || t.pairs.epoch != t.epoch {
				t.pairs = planPairs(data.TrainPairs, o.Batch, o.Seed, t.epoch)
			}
			if t.pos >= int64(len(t.pairs.batches)) {
				t.epoch++
				t.pos = 0
				t.pairs = planPairs(data.TrainPairs, o.Batch, o.Seed, t.epoch)
			}
			idx[k] = t.pairs.batches[t.pos]
			t.pos++
		}
		if o.MRT != nil {
			return t.mrtStep(m, data.TrainPairs, idx, mb, &mrt)
		}
		n := 0
		for k := range o.Accum {
			c := mb[k].fill(data.TrainPairs, idx[k], m)
			if o.InputNoise.tokens() {
				p := &mb[k]
				c = t.noiseTokens(p.x, p.y, p.B, p.T, int32(m.Vocab().Base), true)
			}
			n += c
		}
		n = max(n, 1)
		var sum float64
		for k := range mb {
			p := &mb[k]
			if t.sampling() {
				t.mixPairs(m, p)
			}
			s, _ := m.ForwardPairs(p.src, p.srcLen, p.S, p.x, p.y, p.B, p.T, t.dropRng)
			sum += s
			m.Backward(float32(1 / float64(n)))
		}
		return sum, n, int64(n)
	}, len(data.ValidPairs) > 0, func() float64 { return t.ValidatePairs(data.ValidPairs) })
}

// ValidatePairs returns the mean loss per target token (</s> included) on
// the pairs, without dropout, in length-sorted batches of Opts.Batch
// (the first pairs holding Opts.EvalTokens target tokens if set).
func (t *Trainer) ValidatePairs(pairs []corpus.Pair) float64 {
	m := t.Model.(PairModel)
	if lim := t.Opts.EvalTokens; lim > 0 {
		n := 0
		for i, p := range pairs {
			if n += len(p.Tgt) + 1; n >= lim {
				pairs = pairs[:i+1]
				break
			}
		}
	}
	idx := make([]int32, len(pairs))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(a, b int32) int {
		return cmp.Or(cmp.Compare(len(pairs[a].Tgt), len(pairs[b].Tgt)), cmp.Compare(len(pairs[a].Src), len(pairs[b].Src)))
	})
	var p pairArrays
	var sum float64
	var n int
	for lo := 0; lo < len(idx); lo += t.Opts.Batch {
		p.fill(pairs, idx[lo:min(lo+t.Opts.Batch, len(idx))], m)
		s, c := m.ForwardPairs(p.src, p.srcLen, p.S, p.x, p.y, p.B, p.T, nil)
		sum += s
		n += c
	}
	return sum / float64(max(n, 1))
}
