package eval

import (
	"context"
	"math"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
)

// SequenceOptions configures RunSequences; the zero value is plain
// scoring.
type SequenceOptions struct {
	// Progress, if not nil, receives the sequences scored so far and
	// their total.
	Progress func(done, total int)
	// Each, if not nil, receives every sequence's index and negative
	// log-likelihood in nats.
	Each func(i int, nll float64)
}

// RunSequences scores a data set of whole sequences (images, from
// corpus.ImageSequences), each as drawn in epoch 0: every sequence starts
// from the empty history at its <s>; <s> and a control code are context,
// every other token is scored. Result.Sequences counts the sequences, so
// NLLPerSequence is the nats per image and BitsPerToken the bits per
// dimension (sample).
func RunSequences(ctx context.Context, m autoreg.Model, seqs corpus.Sequences, opts SequenceOptions) (Result, error) {
	s := NewScorer(m)
	buf := make([]autoreg.Token, seqs.SeqLen())
	n := seqs.Count()
	prev := 0.0
	for i := range n {
		if err := ctx.Err(); err != nil {
			return s.Result(), err
		}
		seqs.Sequence(buf, i, 0)
		s.Add(buf)
		if opts.Each != nil {
			s.flush()
			opts.Each(i, s.res.NLL-prev)
			prev = s.res.NLL
		}
		if opts.Progress != nil {
			opts.Progress(i+1, n)
		}
	}
	return s.Result(), nil
}

// Marginal returns −log Σ_c P(c) P(x | c) from the negative
// log-likelihoods nll[c] = −log P(x | c) of one sequence under each of
// its classes, with the uniform prior P(c) = 1/len(nll): the unconditional
// likelihood of a class-conditional model, the number to compare with
// unconditional models.
func Marginal(nll []float64) float64 {
	lo := math.Inf(1)
	for _, v := range nll {
		lo = min(lo, v)
	}
	var s float64
	for _, v := range nll {
		s += math.Exp(lo - v)
	}
	return lo - math.Log(s) + math.Log(float64(len(nll)))
}

// NLLPerSequence is the mean negative log-likelihood of a sequence in
// nats: for images, the field's nats per image.
func (r Result) NLLPerSequence() float64 { return r.NLL / float64(r.Sequences) }
