package train

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
)

// Whole-sequence training (Data.TrainSeqs): images.
//
// An image is one sequence of fixed length, <s> [<ctl:CLASS>] x₁ … x_N,
// and a model must see it whole: a PixelCNN's convolutions need the
// image's geometry, a GPT's row and column embeddings its first sample.
// So instead of windows at random offsets of a token stream, every row of
// a batch is one sequence, inputs seq[:N'] and targets seq[1:], with
// Context = SeqLen − 1. The sequences are drawn in epochs: epoch e visits
// every sequence once, in the order of a permutation drawn from the seed
// and e, and asks the data for the sequence as drawn in epoch e (fresh
// stochastic binarization). The position in the run (sequences drawn so
// far, the checkpoint's data_pos) determines everything, so a resumed run
// draws the same batches. A control code is context, not a target: its
// target slot is ignored. A recurrent model starts every row from a zero
// state.

// seqRun is the trainer's state for whole-sequence data.
type seqRun struct {
	perm      []int // the current epoch's order
	permEpoch int   // the epoch perm belongs to; -1 for none
	buf       []autoreg.Token
}

// checkSeqs reports data a whole-sequence run cannot use.
func (t *Trainer) checkSeqs(data Data) error {
	q := data.TrainSeqs
	if q.Count() < 1 || q.SeqLen() < 2 {
		return fmt.Errorf("train: %d training sequences of %d tokens", q.Count(), q.SeqLen())
	}
	if t.Opts.Context != q.SeqLen()-1 {
		return fmt.Errorf("train: context %d: whole sequences of %d tokens need context %d", t.Opts.Context, q.SeqLen(), q.SeqLen()-1)
	}
	if v := data.ValidSeqs; v != nil && v.SeqLen() != q.SeqLen() {
		return fmt.Errorf("train: validation sequences of %d tokens, training %d", v.SeqLen(), q.SeqLen())
	}
	if n := t.Opts.InputNoise; n != nil && n.Delete+n.Insert > 0 {
		return errors.New("train: input noise: whole sequences (images) keep every element in its place: use replace=, not delete= or insert= (they would shift the pixels after them)")
	}
	if len(data.Train) > 0 || len(data.Valid) > 0 {
		return fmt.Errorf("train: token streams and whole sequences in one run")
	}
	return nil
}

// order returns the index of the k-th sequence of epoch e.
func (t *Trainer) order(n, e, k int) int {
	s := &t.seq
	if s.perm == nil || s.permEpoch != e || len(s.perm) != n {
		rng := rand.New(rand.NewPCG(t.Opts.Seed, 0x65706f6368^uint64(e))) // "epoch"
		s.perm = rng.Perm(n)
		s.permEpoch = e
	}
	return s.perm[k]
}

// fillSeqs writes sequence i, drawn in epoch e, as row r of x and y, and
// returns the number of targets in it.
func (t *Trainer) fillSeqRow(q corpus.Sequences, x, y []int32, i, e int) int {
	L := q.SeqLen()
	s := &t.seq
	if len(s.buf) != L {
		s.buf = make([]autoreg.Token, L)
	}
	q.Sequence(s.buf, i, e)
	v := t.Model.(Model).Vocab()
	n := 0
	for j := range L - 1 {
		x[j] = int32(s.buf[j])
		tgt := s.buf[j+1]
		if v.IsSpecial(tgt) && tgt != v.EOS() {
			y[j] = Ignore // <s> and control codes are context
		} else {
			y[j] = int32(tgt)
			n++
		}
	}
	return n
}

// fillSeqBatch draws the Accum micro-batches of one step and returns the
// number of targets.
func (t *Trainer) fillSeqBatch(q corpus.Sequences) int {
	B, T := t.Opts.Batch, t.Opts.Context
	n := 0
	for r := range t.Opts.Accum * B {
		N := q.Count()
		e, k := int(t.pos/int64(N)), int(t.pos%int64(N))
		n += t.fillSeqRow(q, t.xb[r*T:(r+1)*T], t.yb[r*T:(r+1)*T], t.order(N, e, k), e)
		t.pos++
	}
	return max(n, 1)
}

// validateSeqs returns the mean loss per target over the validation
// sequences (the first Opts.EvalTokens' worth if set), drawn as in epoch
// 0, B at a time.
func (t *Trainer) validateSeqs(q corpus.Sequences) float64 {
	B, T := t.Opts.Batch, t.Opts.Context
	count := q.Count()
	if t.Opts.EvalTokens > 0 {
		count = min(count, max(1, t.Opts.EvalTokens/T))
	}
	var saved []float32
	r, rec := t.Model.(Recurrent)
	if rec {
		saved = append(saved, r.Carry(B)...)
	}
	x, y := t.xb[:B*T], t.yb[:B*T]
	var sum float64
	var n int
	for lo := 0; lo < count; lo += B {
		bb := min(B, count-lo)
		for b := range bb {
			t.fillSeqRow(q, x[b*T:(b+1)*T], y[b*T:(b+1)*T], lo+b, 0)
		}
		if rec {
			clear(r.Carry(bb))
		}
		s, c := t.Model.(Model).Forward(x[:bb*T], y[:bb*T], bb, T, nil)
		sum += s
		n += c
	}
	if rec {
		copy(r.Carry(B), saved)
	}
	return sum / float64(max(n, 1))
}
