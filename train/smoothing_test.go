package train_test

import (
	"context"
	"strings"
	"testing"

	"github.com/autoreg/autoreg/rnn"
	"github.com/autoreg/autoreg/train"
)

// Label smoothing changes the gradient, not the reported loss: a GPT
// trained with it learns, starts at the same loss as without it and then
// takes other steps; a family without it is refused.
func TestLabelSmoothing(t *testing.T) {
	toks, tok := tinyCorpus(4000, 1)
	valid, _ := tinyCorpus(600, 2)
	o := opts
	plain := newRun(t, tok, o)
	o.LabelSmoothing = 0.1
	smooth := newRun(t, tok, o)
	for _, tr := range []*train.Trainer{plain, smooth} {
		if err := tr.Run(context.Background(), train.Data{Train: toks, Valid: valid}); err != nil {
			t.Fatal(err)
		}
	}
	p, s := plain.History, smooth.History
	if p[0].Loss != s[0].Loss {
		t.Errorf("first loss %v with smoothing, %v without: the reported loss should be the plain NLL", s[0].Loss, p[0].Loss)
	}
	if p[1].Loss == s[1].Loss {
		t.Errorf("second loss %v either way: smoothing did not change the step", p[1].Loss)
	}
	if last := s[len(s)-1]; !last.HasVal || last.ValLoss > 1.7 {
		t.Errorf("with smoothing, validation loss %.3f after %d steps", last.ValLoss, smooth.Step)
	}

	m, err := rnn.New(rnn.Config{Cell: rnn.LSTM, Layers: 1, Hidden: 8, Embed: 8}, tok.Vocab(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := train.New(m, o); err == nil || !strings.Contains(err.Error(), "label smoothing") {
		t.Errorf("an LSTM with label smoothing: error %v", err)
	}
}
