package train_test

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/rnn"
	"github.com/autoreg/autoreg/tokenize"
	"github.com/autoreg/autoreg/train"
	"github.com/autoreg/autoreg/vae"
)

// tinySentences returns n sentences of 2 to 5 words of tinyCorpus's
// alphabet, each <s> … </s> as lines mode reads them.
func tinySentences(n int, seed uint64) ([]autoreg.Token, tokenize.Tokenizer) {
	tok, _ := tokenize.NewChar([]rune("abcdefghijk "))
	v := tok.Vocab()
	rng := rand.New(rand.NewPCG(seed, 1))
	words := []string{"abc", "hij", "kaba", "fed", "gig"}
	var toks []autoreg.Token
	for range n {
		toks = append(toks, v.BOS())
		var ws []string
		for range 2 + rng.IntN(4) {
			ws = append(ws, words[rng.IntN(len(words))])
		}
		for _, r := range strings.Join(ws, " ") {
			id, _ := tok.ID(r)
			toks = append(toks, id)
		}
		toks = append(toks, v.EOS())
	}
	return toks, tok
}

var sentOpts = train.Options{Batch: 8, Context: 24, Steps: 40, Accum: 2, LR: 1e-2, Warmup: 4,
	Clip: 1, Seed: 5, EvalEvery: 10, SaveEvery: 5, Sentences: true}

// A sentence-level LSTM learns, every sentence from a zero state; the
// tokens counted are the targets.
func TestSentencesLearn(t *testing.T) {
	toks, tok := tinySentences(300, 1)
	valid, _ := tinySentences(40, 2)
	m, _ := rnn.New(rnn.Config{Cell: rnn.LSTM, Layers: 1, Hidden: 32}, tok.Vocab(), 1)
	o := sentOpts
	o.Steps = 100
	tr, err := train.New(m, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Run(context.Background(), train.Data{Train: toks, Valid: valid}); err != nil {
		t.Fatal(err)
	}
	first, last := tr.History[0], tr.History[len(tr.History)-1]
	if lnV := math.Log(float64(tok.Vocab().Size())); math.Abs(first.Loss-lnV) > 0.2 {
		t.Errorf("first loss %.3f, ln V %.3f", first.Loss, lnV)
	}
	if !last.HasVal || last.ValLoss > 0.8 {
		t.Errorf("after %d steps: train %.3f, validation %.3f", tr.Step, last.Loss, last.ValLoss)
	}
	// 300 sentences: 38 batches of 8 an epoch; 100 steps of 2 cross
	// epochs. Every step consumed its batches' targets only.
	if tr.Tokens >= int64(tr.Step*2*8*24) || tr.Tokens < int64(tr.Step*2*8*5) {
		t.Errorf("%d tokens in %d steps", tr.Tokens, tr.Step)
	}
	// A sentence longer than the context is refused.
	o.Context = 8
	tr, _ = train.New(m, o)
	if err := tr.Run(context.Background(), train.Data{Train: toks}); err == nil || !strings.Contains(err.Error(), "context") {
		t.Errorf("long sentences: %v", err)
	}
}

// A VAE trains on sentence batches only, reports its loss parts and KL
// weight, and resumes exactly across an epoch boundary.
func TestSentencesVAEResumeExact(t *testing.T) {
	toks, tok := tinySentences(300, 1)
	valid, _ := tinySentences(40, 2)
	data := train.Data{Train: toks, Valid: valid}
	m, _ := train.NewModel(train.Arch{Family: "vae", Layers: 1, Dim: 8, Latent: 2}, tok.Vocab(), 1)
	o := sentOpts
	o.Sentences = false
	if _, err := train.New(m, o); err == nil {
		t.Fatal("a VAE trained on token windows")
	}
	snap := filepath.Join(t.TempDir(), "snap.arm")
	m, err := train.NewModel(train.Arch{Family: "vae", Layers: 1, Dim: 16, Embed: 8, Latent: 4, Dropout: 0.1,
		Objective: vae.Objective{Anneal: vae.Anneal{Kind: vae.AnnealCyclical, Cycles: 2, Ratio: 0.5}, FreeBits: 0.1, WordDropout: 0.2}}, tok.Vocab(), 1)
	if err != nil {
		t.Fatal(err)
	}
	full, err := train.New(m, sentOpts)
	if err != nil {
		t.Fatal(err)
	}
	// Resumed at step 15, the run crosses an epoch (19 steps of 2 batches
	// of 8 of the 300 sentences).
	full.Checkpoint = func(tr *train.Trainer, r train.SaveReason) (string, error) {
		if r == train.SaveBest || tr.Step != 15 {
			return "", nil
		}
		return snap, tr.Save(snap, modelfile.Meta{Family: "vae", Mode: "lines"}, tok, true)
	}
	if err := full.Run(context.Background(), data); err != nil {
		t.Fatal(err)
	}
	for _, p := range full.History {
		rec, kl, beta := p.Parts["rec"], p.Parts["kl"], p.Parts["kl_weight"]
		if math.Abs(rec+kl-p.Loss) > 1e-9*p.Loss || kl < 0 || beta < 0 || beta > 1 {
			t.Fatalf("step %d: loss %v, parts %v", p.Step, p.Loss, p.Parts)
		}
		if p.HasVal && math.Abs(p.ValParts["rec"]+p.ValParts["kl"]-p.ValLoss) > 1e-9*p.ValLoss {
			t.Fatalf("step %d: validation loss %v, parts %v", p.Step, p.ValLoss, p.ValParts)
		}
	}
	// The cyclical schedule: β restarts at 0 at the second cycle.
	if b := full.History[20].Parts["kl_weight"]; b != 0 {
		t.Errorf("β at the start of the second cycle %v", b)
	}
	checkResume(t, full, snap, data, 15)
}
