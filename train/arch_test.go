package train_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/gpt"
	"github.com/autoreg/autoreg/rnn"
	"github.com/autoreg/autoreg/train"
)

// NewModel builds each family from the shared settings, and Meta records
// the family's own configuration.
func TestNewModelAndMeta(t *testing.T) {
	_, tok := tinyCorpus(100, 1)
	v := tok.Vocab()
	ctl, _ := corpus.ParseControl("glob:*_test.go=test")
	for _, tc := range []struct {
		arch train.Arch
		cfg  any
	}{
		{train.Arch{Family: "gpt", Layers: 1, Dim: 16, Heads: 2, Context: 8, Dropout: 0.1},
			gpt.Config{Layers: 1, Dim: 16, Heads: 2, Context: 8, Dropout: 0.1}},
		{train.Arch{Family: "lstm", Layers: 2, Dim: 16, Embed: 8, Context: 8},
			rnn.Config{Cell: rnn.LSTM, Layers: 2, Hidden: 16, Embed: 8}},
		{train.Arch{Family: "gru", Layers: 1, Dim: 16},
			rnn.Config{Cell: rnn.GRU, Layers: 1, Hidden: 16}},
	} {
		m, err := train.NewModel(tc.arch, v, 1)
		if err != nil {
			t.Fatalf("%s: %v", tc.arch.Family, err)
		}
		if m.Vocab().Size() != v.Size() {
			t.Errorf("%s: vocabulary %d, want %d", tc.arch.Family, m.Vocab().Size(), v.Size())
		}
		meta, err := train.Meta(m, corpus.Lines, ctl)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(tc.cfg)
		if meta.Family != tc.arch.Family || meta.Mode != "lines" || meta.Control != ctl.String() || string(meta.Config) != string(want) {
			t.Errorf("%s: meta %+v (config %s), want config %s", tc.arch.Family, meta, meta.Config, want)
		}
	}
	// The same seed gives the same weights.
	a, _ := train.NewModel(train.Arch{Family: "gru", Layers: 1, Dim: 8}, v, 7)
	b, _ := train.NewModel(train.Arch{Family: "gru", Layers: 1, Dim: 8}, v, 7)
	for i, x := range a.Arena().Params {
		if b.Arena().Params[i] != x {
			t.Fatal("same seed, different weights")
		}
	}
	for _, bad := range []train.Arch{
		{Family: "gpt", Layers: 1, Dim: 16, Embed: 8, Heads: 2, Context: 8},
		{Family: "gpt", Layers: 1, Dim: 16, Heads: 3, Context: 8},
		{Family: "lstm", Layers: 0, Dim: 16},
		{Family: "transformer-xl", Layers: 1, Dim: 16},
	} {
		if _, err := train.NewModel(bad, v, 1); err == nil {
			t.Errorf("NewModel(%+v) accepted", bad)
		}
	}
}

// ReadCheckpoint gives back the trainer, the tokenizer and how the text
// was read.
func TestReadCheckpoint(t *testing.T) {
	toks, tok := tinyCorpus(2000, 1)
	dir := t.TempDir()
	path := filepath.Join(dir, "ck.arm")
	m, err := train.NewModel(train.Arch{Family: "gpt", Layers: 1, Dim: 16, Heads: 2, Context: 8}, tok.Vocab(), 1)
	if err != nil {
		t.Fatal(err)
	}
	ctl, _ := corpus.ParseControl("parent-dir")
	meta, _ := train.Meta(m, corpus.Lines, ctl)
	tr, err := train.New(m, train.Options{Batch: 2, Context: 8, Steps: 6, LR: 1e-3, SaveEvery: 3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	tr.Checkpoint = func(tr *train.Trainer, _ train.SaveReason) (string, error) {
		if tr.Step != 3 {
			return "", nil
		}
		return path, tr.Save(path, meta, tok, true)
	}
	if err := tr.Run(context.Background(), train.Data{Train: toks}); err != nil {
		t.Fatal(err)
	}
	ck, err := train.ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Trainer.Step != 3 || ck.Mode != corpus.Lines || ck.Control.String() != "parent-dir" ||
		ck.Tokenizer.Vocab().Size() != tok.Vocab().Size() || ck.Meta.Family != "gpt" {
		t.Fatalf("checkpoint: step %d, mode %v, control %q, meta %+v", ck.Trainer.Step, ck.Mode, ck.Control, ck.Meta)
	}
	if err := ck.Trainer.Run(context.Background(), train.Data{Train: toks}); err != nil {
		t.Fatal(err)
	}
	for i, p := range tr.History {
		if q := ck.Trainer.History[i]; p.Loss != q.Loss {
			t.Fatalf("step %d: loss %v resumed, %v uninterrupted", p.Step, q.Loss, p.Loss)
		}
	}

	// A model file without the resumable sections, and a bad header.
	plain := filepath.Join(dir, "plain.arm")
	if err := tr.Save(plain, meta, tok, false); err != nil {
		t.Fatal(err)
	}
	if _, err := train.ReadCheckpoint(plain); err == nil || !strings.Contains(err.Error(), "plain.arm: train: not a checkpoint") {
		t.Errorf("plain model: %v", err)
	}
	bad := filepath.Join(dir, "bad.arm")
	meta.Mode = "paragraphs"
	if err := tr.Save(bad, meta, tok, true); err != nil {
		t.Fatal(err)
	}
	if _, err := train.ReadCheckpoint(bad); err == nil || !strings.Contains(err.Error(), "bad.arm: corpus: unknown mode") {
		t.Errorf("bad mode: %v", err)
	}
	if _, err := train.ReadCheckpoint(filepath.Join(dir, "none.arm")); err == nil || !strings.Contains(err.Error(), "none.arm") {
		t.Errorf("missing file: %v", err)
	}
}
