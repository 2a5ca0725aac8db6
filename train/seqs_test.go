package train_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/imagefile"
	"github.com/autoreg/autoreg/tokenize"
	"github.com/autoreg/autoreg/train"
)

// stripes returns n 6×6 gray images of two classes, "h" (horizontal
// stripes) and "v" (vertical), each with a random phase and a little
// noise, and the two-level pixel tokenizer with both classes.
func stripes(n int, seed uint64) (*corpus.ImageSet, *tokenize.Pixels) {
	rng := rand.New(rand.NewPCG(seed, 3))
	set := &corpus.ImageSet{}
	for range n {
		im := imagefile.Image{Width: 6, Height: 6, Channels: 1, MaxVal: 255, Pix: make([]uint16, 36)}
		class, phase := []string{"h", "v"}[rng.IntN(2)], rng.IntN(2)
		for y := range 6 {
			for x := range 6 {
				on := (y+phase)%2 == 0
				if class == "v" {
					on = (x+phase)%2 == 0
				}
				v := uint16(10)
				if on {
					v = 245
				}
				im.Pix[y*6+x] = v
			}
		}
		set.Images = append(set.Images, im)
		set.Classes = append(set.Classes, class)
	}
	tok, _ := tokenize.NewPixels(2, tokenize.Shape{Height: 6, Width: 6, Channels: 1})
	ct, _ := tokenize.WithControls(tok, []string{"h", "v"})
	return set, ct.(*tokenize.Pixels)
}

// Both a GPT (with its image embeddings) and an LSTM learn whole images:
// given the class and the first row or column, stripes are predictable.
func TestSequencesLearn(t *testing.T) {
	set, tok := stripes(256, 1)
	vset, _ := stripes(32, 2)
	tr, _ := set.Sequences(tok, corpus.Threshold, 7)
	va, _ := vset.Sequences(tok, corpus.Threshold, 8)
	T := tr.SeqLen() - 1
	for _, c := range []struct {
		arch train.Arch
		lr   float64
	}{
		{train.Arch{Family: "gpt", Layers: 2, Dim: 32, Heads: 2, Context: T, Image: tok.Shape()}, 3e-3},
		{train.Arch{Family: "lstm", Layers: 1, Dim: 32}, 1e-2},
		{train.Arch{Family: "pixelcnn", Layers: 3, Dim: 16, Image: tok.Shape()}, 3e-3},
	} {
		arch := c.arch
		m, err := train.NewModel(arch, tok.Vocab(), 1)
		if err != nil {
			t.Fatal(err)
		}
		run, err := train.New(m, train.Options{Batch: 8, Context: T, Steps: 300, LR: c.lr, Warmup: 20, Clip: 1, Seed: 3, EvalEvery: 100})
		if err != nil {
			t.Fatal(err)
		}
		if err := run.Run(context.Background(), train.Data{TrainSeqs: tr, ValidSeqs: va}); err != nil {
			t.Fatal(err)
		}
		first, last := run.History[0], run.History[len(run.History)-1]
		// Once the first row (or column) is seen, the rest is determined;
		// ln 2 ≈ 0.69 would know nothing.
		// At first the loss is ln V, or ln K over the levels alone for a
		// PixelCNN, which never predicts a special token.
		lnV := math.Log(float64(tok.Vocab().Size()))
		if arch.Family == "pixelcnn" {
			lnV = math.Log(float64(tok.Levels()))
		}
		if math.Abs(first.Loss-lnV) > 0.3 || last.ValLoss > 0.3 {
			t.Errorf("%s: first loss %.3f, last validation %.3f", arch.Family, first.Loss, last.ValLoss)
		}
	}
}

// A whole-sequence run resumed from a checkpoint draws the same batches
// (the same epochs' orders and binarizations) as one that never stopped.
func TestSequencesResumeExact(t *testing.T) {
	set, tok := stripes(20, 1)
	tr, _ := set.Sequences(tok, corpus.Stochastic, 7)
	data := train.Data{TrainSeqs: tr, ValidSeqs: tr}
	T := tr.SeqLen() - 1
	o := train.Options{Batch: 3, Context: T, Steps: 24, LR: 3e-3, Clip: 1, Seed: 5, EvalEvery: 6, SaveEvery: 6}
	newRun := func() *train.Trainer {
		m, _ := train.NewModel(train.Arch{Family: "gpt", Layers: 1, Dim: 16, Heads: 2, Context: T, Image: tok.Shape()}, tok.Vocab(), 1)
		r, err := train.New(m, o)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	resumeAt(t, newRun, data, tok, 12)
	bad := train.Options{Batch: 3, Context: T + 1, Steps: 2, LR: 1e-3}
	r, _ := train.New(newRun().Model, bad)
	if err := r.Run(context.Background(), data); err == nil {
		t.Fatal("a context that is not the sequence length − 1 accepted")
	}
}
