package train

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/autoreg/autoreg"
)

// Sentence batches (Options.Sentences): every row of a micro-batch is one
// whole sequence of the token stream, from its <s> to the token before the
// next <s> (in lines mode a sentence and its </s>), inputs the sequence
// but its last token and targets the sequence after its <s>, padded with
// </s> inputs and Ignore targets to the longest row; a recurrent model
// starts every row from a zero state. This is how a sentence-level
// language model is trained (no state carried from one sentence to the
// next), and the only way a model that reads whole sequences (a VAE, which
// encodes the sentence before predicting it) can be trained.
//
// Batches are length-bucketed: each epoch shuffles the sequences (from the
// seed and the epoch number alone), sorts pools of bucketPool·Batch of
// them by length, cuts the pools into batches of Batch sequences of
// similar lengths (little padding) and shuffles the batches. A
// micro-batch is one batch; the data position (epoch, batch) is all a
// checkpoint needs to resume exactly.

// WholeSequences is implemented by a Model that reads every row of a
// batch as one whole sequence (a VAE encodes it first); reporting true, it
// trains only with Options.Sentences.
type WholeSequences interface {
	WholeSequences() bool
}

// Scheduled is implemented by a Model whose training objective depends
// on the step (a VAE's KL weight): the trainer calls SetStep with the
// 0-based step about to run and the planned steps before the step's
// forward passes.
type Scheduled interface {
	SetStep(step, steps int)
}

// span is one sequence of a token stream: tokens[lo:hi], starting with <s>.
type span struct{ lo, hi int32 }

func (s span) targets() int { return int(s.hi-s.lo) - 1 }

// sentenceSpans cuts a token stream at every <s> and checks that each
// sequence has 1 to maxTargets targets.
func sentenceSpans(tokens []autoreg.Token, bos autoreg.Token, maxTargets int, what string) ([]span, error) {
	if len(tokens) > 0 && tokens[0] != bos {
		return nil, fmt.Errorf("train: sentence batches: the %s text does not start with <s>", what)
	}
	if len(tokens) >= 1<<31 {
		return nil, fmt.Errorf("train: sentence batches: %d %s tokens, at most 2³¹", len(tokens), what)
	}
	var out []span
	for i := 0; i < len(tokens); {
		j := i + 1
		for j < len(tokens) && tokens[j] != bos {
			j++
		}
		s := span{int32(i), int32(j)}
		if n := s.targets(); n < 1 || n > maxTargets {
			return nil, fmt.Errorf("train: sentence batches: %s sequence %d has %d targets; the context (%d) must hold every sequence",
				what, len(out)+1, n, maxTargets)
		}
		out = append(out, s)
		i = j
	}
	return out, nil
}

// sentenceRun is a run's sentence data and the current epoch's batches.
type sentenceRun struct {
	train   []span
	batches [][]int32 // the epoch's batches of indices into train
	epoch   int64     // the epoch batches belong to; -1 before the first plan
}

// planSentences orders the sequences of epoch into batches of B (see
// above).
func planSentences(spans []span, B int, seed uint64, epoch int64) [][]int32 {
	rng := rand.New(rand.NewPCG(seed^0x73656e7473, uint64(epoch))) // "sents"
	byLen := func(a, b int32) int { return cmp.Compare(spans[a].targets(), spans[b].targets()) }
	return lengthBuckets(len(spans), B, rng, byLen)
}

// prepareSentences indexes the training stream's sequences.
func (t *Trainer) prepareSentences(data Data) error {
	if _, rec := t.Model.(Recurrent); !rec && t.Opts.ControlWindows {
		return errors.New("train: sentence batches start every row at its <s>: control windows do not apply")
	}
	m := t.Model.(Model)
	spans, err := sentenceSpans(data.Train, m.Vocab().BOS(), t.Opts.Context, "training")
	if err != nil {
		return err
	}
	if len(spans) == 0 {
		return errors.New("train: no training sequences")
	}
	if len(data.Valid) > 0 {
		if _, err := sentenceSpans(data.Valid, m.Vocab().BOS(), t.Opts.Context, "validation"); err != nil {
			return err
		}
	}
	t.sents = sentenceRun{train: spans, epoch: -1}
	return nil
}

// sentenceBatch returns the batch at the run's data position, and moves
// the position on.
func (t *Trainer) sentenceBatch() []int32 {
	s := &t.sents
	if s.epoch != t.epoch {
		s.batches = planSentences(s.train, t.Opts.Batch, t.Opts.Seed, t.epoch)
		s.epoch = t.epoch
	}
	if t.pos >= int64(len(s.batches)) {
		t.epoch++
		t.pos = 0
		s.batches = planSentences(s.train, t.Opts.Batch, t.Opts.Seed, t.epoch)
		s.epoch = t.epoch
	}
	b := s.batches[t.pos]
	t.pos++
	return b
}

// fillSentences lays out the sequences idx of spans over tokens as a
// padded batch in x, y (grown as needed) and returns them with B, T and
// the number of targets.
func fillSentences(x, y []int32, tokens []autoreg.Token, spans []span, idx []int32, eos autoreg.Token) ([]int32, []int32, int, int, int) {
	B, T := len(idx), 1
	for _, i := range idx {
		T = max(T, spans[i].targets())
	}
	x, y = grow(x, B*T), grow(y, B*T)
	n := 0
	for b, i := range idx {
		seq := tokens[spans[i].lo:spans[i].hi]
		k := len(seq) - 1
		for j := range T {
			if j < k {
				x[b*T+j], y[b*T+j] = int32(seq[j]), int32(seq[j+1])
			} else {
				x[b*T+j], y[b*T+j] = int32(eos), Ignore
			}
		}
		n += k
	}
	return x, y, B, T, n
}

// sentenceStep runs the Accum micro-batches of one step on sentence
// batches and returns their summed loss and number of targets.
func (t *Trainer) sentenceStep(tokens []autoreg.Token) (float64, int) {
	o := t.Opts
	m := t.Model.(Model)
	eos := m.Vocab().EOS()
	batches := make([][]int32, o.Accum)
	n := 0
	for k := range batches {
		batches[k] = t.sentenceBatch()
		for _, i := range batches[k] {
			n += t.sents.train[i].targets()
		}
	}
	if o.InputNoise.tokens() {
		return t.noisySentenceStep(tokens, batches)
	}
	var sum float64
	for _, idx := range batches {
		x, y, B, T, _ := fillSentences(t.xb, t.yb, tokens, t.sents.train, idx, eos)
		t.xb, t.yb = x, y
		if t.sampling() {
			t.mixTokens(x, y, B, T, true)
		}
		s, _ := t.forward(x, y, B, T, t.dropRng)
		sum += s
		t.Model.Backward(float32(1 / float64(n)))
	}
	return sum, n
}

// noisySentenceStep is sentenceStep with input noise: every batch is laid
// out and corrupted first, since the number of targets left decides the
// gradient's scale.
func (t *Trainer) noisySentenceStep(tokens []autoreg.Token, batches [][]int32) (float64, int) {
	m := t.Model.(Model)
	v := m.Vocab()
	if len(t.sentBufs) < len(batches) {
		t.sentBufs = make([]pairArrays, len(batches))
	}
	n := 0
	for k, idx := range batches {
		p := &t.sentBufs[k]
		p.x, p.y, p.B, p.T, _ = fillSentences(p.x, p.y, tokens, t.sents.train, idx, v.EOS())
		n += t.noiseTokens(p.x, p.y, p.B, p.T, int32(v.Base), true)
	}
	n = max(n, 1)
	var sum float64
	for k := range batches {
		p := &t.sentBufs[k]
		if t.sampling() {
			t.mixTokens(p.x, p.y, p.B, p.T, true)
		}
		s, _ := t.forward(p.x, p.y, p.B, p.T, t.dropRng)
		sum += s
		t.Model.Backward(float32(1 / float64(n)))
	}
	return sum, n
}

// validateSentences returns the mean loss per target on the validation
// sequences (the first of them holding Opts.EvalTokens targets, if set),
// in length-sorted batches of Opts.Batch, without dropout.
func (t *Trainer) validateSentences(valid []autoreg.Token) float64 {
	m := t.Model.(Model)
	spans, err := sentenceSpans(valid, m.Vocab().BOS(), t.Opts.Context, "validation")
	if err != nil {
		panic(err) // checked by prepareSentences
	}
	if lim := t.Opts.EvalTokens; lim > 0 {
		n := 0
		for i, s := range spans {
			if n += s.targets(); n >= lim {
				spans = spans[:i+1]
				break
			}
		}
	}
	idx := make([]int32, len(spans))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(a, b int32) int { return cmp.Compare(spans[a].targets(), spans[b].targets()) })
	var sum float64
	var n int
	var x, y []int32
	for lo := 0; lo < len(idx); lo += t.Opts.Batch {
		var B, T int
		x, y, B, T, _ = fillSentences(x, y, valid, spans, idx[lo:min(lo+t.Opts.Batch, len(idx))], m.Vocab().EOS())
		s, c := t.forward(x, y, B, T, nil)
		sum += s
		n += c
	}
	return sum / float64(max(n, 1))
}
