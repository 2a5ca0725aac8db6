package train_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/gpt"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/rnn"
	"github.com/autoreg/autoreg/tokenize"
	"github.com/autoreg/autoreg/train"
)

// A tiny corpus with structure: repeated words over a 12-letter alphabet.
func tinyCorpus(n int, seed uint64) ([]autoreg.Token, tokenize.Tokenizer) {
	tok, _ := tokenize.NewChar([]rune("abcdefghijk "))
	rng := rand.New(rand.NewPCG(seed, 1))
	words := []string{"abc ", "hij ", "kaba ", "fed ", "gig "}
	toks := []autoreg.Token{tok.Vocab().BOS()}
	for len(toks) < n {
		for _, r := range words[rng.IntN(len(words))] {
			id, _ := tok.ID(r)
			toks = append(toks, id)
		}
	}
	return append(toks, tok.Vocab().EOS()), tok
}

func newRun(t *testing.T, tok tokenize.Tokenizer, opts train.Options) *train.Trainer {
	t.Helper()
	m, err := gpt.New(gpt.Config{Layers: 2, Dim: 32, Heads: 2, Context: 16, Dropout: 0.1}, tok.Vocab(), 1)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.New(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

var opts = train.Options{Batch: 4, Context: 16, Steps: 40, Accum: 2, LR: 3e-3, Warmup: 4,
	WeightDecay: 0.1, Clip: 1, Seed: 5, EvalEvery: 10, SaveEvery: 5}

func TestLearns(t *testing.T) {
	toks, tok := tinyCorpus(4000, 1)
	valid, _ := tinyCorpus(600, 2)
	tr := newRun(t, tok, opts)
	if err := tr.Run(context.Background(), train.Data{Train: toks, Valid: valid}); err != nil {
		t.Fatal(err)
	}
	first, last := tr.History[0], tr.History[len(tr.History)-1]
	if lnV := math.Log(float64(tok.Vocab().Size())); math.Abs(first.Loss-lnV) > 0.2 {
		t.Errorf("first loss %.3f, ln V %.3f", first.Loss, lnV)
	}
	if !last.HasVal || last.ValLoss > 1.6 || tr.BestVal > last.ValLoss {
		t.Errorf("after %d steps: train %.3f, validation %.3f (best %.3f)", tr.Step, last.Loss, last.ValLoss, tr.BestVal)
	}
}

// A run stopped abruptly after a checkpoint (as by kill -9) and resumed
// from it logs the same losses, bit for bit, as one that never stopped,
// here even with a different GOMAXPROCS.
func TestResumeExact(t *testing.T) {
	toks, tok := tinyCorpus(4000, 1)
	valid, _ := tinyCorpus(600, 2)
	data := train.Data{Train: toks, Valid: valid}
	dir := t.TempDir()
	meta := modelfile.Meta{Family: "gpt", Mode: "stream"}
	snap := filepath.Join(dir, "snap.arm")

	full := newRun(t, tok, opts)
	full.Checkpoint = func(tr *train.Trainer, r train.SaveReason) (string, error) {
		if r == train.SaveBest || tr.Step != 15 {
			return "", nil
		}
		return snap, tr.Save(snap, meta, tok, true)
	}
	if err := full.Run(context.Background(), data); err != nil {
		t.Fatal(err)
	}
	checkResume(t, full, snap, data, 15)
}

// resumeAt runs newRun to its end, saving a resumable checkpoint at step
// at, and checks a run resumed from it (checkResume). It returns the
// uninterrupted trainer.
func resumeAt(t *testing.T, newRun func() *train.Trainer, data train.Data, tok tokenize.Tokenizer, at int) *train.Trainer {
	t.Helper()
	snap := filepath.Join(t.TempDir(), "snap.arm")
	full := newRun()
	meta, err := train.Meta(full.Model.(train.Model), corpus.Stream, corpus.Control{})
	if err != nil {
		t.Fatal(err)
	}
	full.Checkpoint = func(tr *train.Trainer, r train.SaveReason) (string, error) {
		if r == train.SaveBest || tr.Step != at {
			return "", nil
		}
		return snap, tr.Save(snap, meta, tok, true)
	}
	if err := full.Run(context.Background(), data); err != nil {
		t.Fatal(err)
	}
	checkResume(t, full, snap, data, at)
	return full
}

// checkResume resumes the run full checkpointed at step at in snap, under
// GOMAXPROCS 1, and checks that it logs the same losses and ends with the
// same parameters, bit for bit.
func checkResume(t *testing.T, full *train.Trainer, snap string, data train.Data, at int) {
	t.Helper()
	f, err := modelfile.ReadAny(snap)
	if err != nil {
		t.Fatal(err)
	}
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	res, err := train.Resume(f)
	if err != nil {
		t.Fatal(err)
	}
	if res.Step != at || len(res.History) != at {
		t.Fatalf("resumed at step %d with %d points", res.Step, len(res.History))
	}
	if err := res.Run(context.Background(), data); err != nil {
		t.Fatal(err)
	}
	if len(res.History) != len(full.History) {
		t.Fatalf("%d points after resume, %d uninterrupted", len(res.History), len(full.History))
	}
	for i, p := range full.History {
		q := res.History[i]
		if p.Loss != q.Loss || p.ValLoss != q.ValLoss || p.LR != q.LR || p.Tokens != q.Tokens {
			t.Fatalf("step %d: resumed %+v, uninterrupted %+v", p.Step, q, p)
		}
	}
	for i, v := range full.Model.Arena().Params {
		if res.Model.Arena().Params[i] != v {
			t.Fatalf("parameter %d differs after resume", i)
		}
	}
}

func TestStopSavesCheckpoint(t *testing.T) {
	toks, tok := tinyCorpus(4000, 1)
	ctx, cancel := context.WithCancel(context.Background())
	tr := newRun(t, tok, opts)
	var reasons []train.SaveReason
	tr.Checkpoint = func(tr *train.Trainer, r train.SaveReason) (string, error) {
		reasons = append(reasons, r)
		return "x", nil
	}
	tr.OnStep = func(p train.Progress) {
		if p.Step == 7 {
			cancel()
		}
	}
	err := tr.Run(ctx, train.Data{Train: toks})
	if !errors.Is(err, context.Canceled) || tr.Step != 7 {
		t.Fatalf("err %v at step %d", err, tr.Step)
	}
	if len(reasons) != 2 || reasons[1] != train.SaveFinal {
		t.Fatalf("saves %v, want a periodic one at 5 and a final one at 7", reasons)
	}
}

func TestNaNStops(t *testing.T) {
	toks, tok := tinyCorpus(4000, 1)
	tr := newRun(t, tok, opts)
	saves := 0
	tr.Checkpoint = func(*train.Trainer, train.SaveReason) (string, error) { saves++; return "", nil }
	tr.OnStep = func(p train.Progress) {
		if p.Step == 6 {
			tr.Model.Arena().Params[3] = float32(math.NaN())
		}
	}
	err := tr.Run(context.Background(), train.Data{Train: toks})
	if !errors.Is(err, train.ErrNonFinite) || tr.Step != 6 || saves != 1 {
		t.Fatalf("err %v, step %d, %d saves", err, tr.Step, saves)
	}
	t.Log(err)
}

func TestShortData(t *testing.T) {
	_, tok := tinyCorpus(10, 1)
	tr := newRun(t, tok, opts)
	if err := tr.Run(context.Background(), train.Data{Train: make([]autoreg.Token, 5)}); err == nil {
		t.Fatal("5 tokens accepted")
	}
	_ = os.Remove
}

// The recurrent path (B contiguous streams, carried state, epochs) resumes
// exactly too, the carried state travelling in the checkpoint.
func TestResumeExactRecurrent(t *testing.T) {
	toks, tok := tinyCorpus(3000, 1)
	valid, _ := tinyCorpus(500, 2)
	data := train.Data{Train: toks, Valid: valid}
	ro := train.Options{Batch: 4, Context: 16, Steps: 60, LR: 3e-3, Warmup: 4, Clip: 1, Seed: 5, EvalEvery: 10, SaveEvery: 7}
	newRNN := func() *train.Trainer {
		m, err := rnn.New(rnn.Config{Cell: rnn.LSTM, Layers: 2, Hidden: 16, Embed: 8, Dropout: 0.1}, tok.Vocab(), 1)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := train.New(m, ro)
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	dir := t.TempDir()
	snap := filepath.Join(dir, "snap.arm")
	full := newRNN()
	full.Checkpoint = func(tr *train.Trainer, r train.SaveReason) (string, error) {
		if r == train.SaveBest || tr.Step != 49 {
			return "", nil
		}
		return snap, tr.Save(snap, modelfile.Meta{Family: "lstm", Mode: "stream"}, tok, true)
	}
	if err := full.Run(context.Background(), data); err != nil {
		t.Fatal(err)
	}
	// 3000 tokens in 4 streams of 750: 46 windows of 16 per epoch, so the
	// run crosses an epoch boundary (state reset) before step 49.
	f, err := modelfile.Read(snap)
	if err != nil {
		t.Fatal(err)
	}
	res, err := train.Resume(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Run(context.Background(), data); err != nil {
		t.Fatal(err)
	}
	for i, p := range full.History {
		q := res.History[i]
		if p.Loss != q.Loss || p.ValLoss != q.ValLoss {
			t.Fatalf("step %d: resumed %+v, uninterrupted %+v", p.Step, q, p)
		}
	}
	last := full.History[len(full.History)-1]
	if !(last.ValLoss < full.History[9].ValLoss) {
		t.Errorf("validation did not improve: %v then %v", full.History[9].ValLoss, last.ValLoss)
	}
}
