package eval

import (
	"context"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
)

// RunSequences scores a data set of whole sequences (images, from
// corpus.ImageSequences), each as drawn in epoch 0: every sequence starts
// from the empty history at its <s>; <s> and a control code are context,
// every other token is scored. Result.Sequences counts the sequences, so
// NLLPerSequence is the nats per image and BitsPerToken the bits per
// dimension (sample). progress, if not nil, receives the sequences scored
// so far and their total.
func RunSequences(ctx context.Context, m autoreg.Model, seqs corpus.Sequences, progress func(done, total int)) (Result, error) {
	s := NewScorer(m)
	buf := make([]autoreg.Token, seqs.SeqLen())
	n := seqs.Count()
	for i := range n {
		if err := ctx.Err(); err != nil {
			return s.Result(), err
		}
		seqs.Sequence(buf, i, 0)
		s.Add(buf)
		if progress != nil {
			progress(i+1, n)
		}
	}
	return s.Result(), nil
}

// NLLPerSequence is the mean negative log-likelihood of a sequence in
// nats: for images, the field's nats per image.
func (r Result) NLLPerSequence() float64 { return r.NLL / float64(r.Sequences) }
