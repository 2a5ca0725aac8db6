package train

import (
	"errors"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/fim"
)

// Fill-in-the-middle training (Options.FIMRate; Bavarian et al. 2022) at
// the level of a training window, the paper's "context-level FIM": with
// probability FIMRate a window draws Context+1−4 tokens of the stream
// instead of Context+1, splits them at two uniform random positions
// (character-level splits: any token boundary, or those FIMSplit allows)
// into prefix, middle and suffix, and arranges them with the four
// sentinels in PSM order, or with probability FIMSPMRate in SPM order.
// Every position of the arranged window is a target, as in the paper;
// the window is otherwise an ordinary one (no control-code prefix).

// fimState holds the sentinels of a run and a window's scratch.
type fimState struct {
	s        fim.Sentinels
	raw, seq []autoreg.Token
}

func (t *Trainer) initFIM() error {
	o := t.Opts
	if o.FIMRate == 0 {
		return nil
	}
	if _, rec := t.Model.(Recurrent); rec {
		return errors.New("train: fill-in-the-middle training is for feed-forward models (GPT)")
	}
	s, ok := fim.Lookup(t.Model.(Model).Vocab())
	if !ok {
		return errors.New("train: fill-in-the-middle training needs the sentinel control codes in the vocabulary")
	}
	if o.Context+1 <= fim.Overhead {
		return errors.New("train: the context is too short for fill-in-the-middle windows")
	}
	n := o.Context + 1 - fim.Overhead
	t.fim = fimState{s: s, raw: make([]autoreg.Token, n), seq: make([]autoreg.Token, o.Context+1)}
	return nil
}

// fimWindow makes the window at off of tokens a FIM example in x and y
// with probability FIMRate, and reports whether it did.
func (t *Trainer) fimWindow(tokens []autoreg.Token, off int, x, y []int32) bool {
	o := t.Opts
	if o.FIMRate == 0 || !(t.dataRng.Float64() < o.FIMRate) {
		return false
	}
	f := &t.fim
	raw := tokens[off : off+len(f.raw)]
	n := len(raw)
	i, j := t.dataRng.IntN(n+1), t.dataRng.IntN(n+1)
	if i > j {
		i, j = j, i
	}
	if t.FIMSplit != nil {
		for i < n && !t.FIMSplit(raw[i]) {
			i++
		}
		for j < n && !t.FIMSplit(raw[j]) {
			j++
		}
	}
	spm := t.dataRng.Float64() < o.FIMSPMRate
	f.s.Arrange(f.seq, raw, i, j, spm)
	for k := range x {
		x[k], y[k] = int32(f.seq[k]), int32(f.seq[k+1])
	}
	return true
}
