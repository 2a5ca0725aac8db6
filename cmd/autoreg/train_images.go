package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/tokenize"
	"github.com/autoreg/autoreg/train"
)

// imageRecord is what a model trained on images records of its data in
// the model file's training section (besides the common fields), so that
// --resume reads the images the same way.
type imageRecord struct {
	Binarize string `json:"binarize"`
}

// trainImages trains a neural model on images (--tokenizer pixels): every
// image is one sequence <s> [<ctl:CLASS>] samples…, taken whole by the
// trainer (the context is set to the sequence length − 1), its class from
// --control-from parent-dir or labels, its samples quantized to --levels
// and, for two levels, binarized by --binarize. ck is the checkpoint of a
// --resume, nil otherwise.
func trainImages(ctx context.Context, stderr io.Writer, f *trainFlags, docs []corpus.Doc, ck *train.Checkpoint) error {
	var (
		tr   *train.Trainer
		tok  *tokenize.Pixels
		meta modelfile.Meta
		ctl  corpus.Control
		bin  corpus.Binarize
		err  error
	)
	if ck != nil {
		tr, meta, ctl = ck.Trainer, ck.Meta, ck.Control
		tok = ck.Tokenizer.(*tokenize.Pixels)
		var rec imageRecord
		if len(meta.Training) > 0 {
			_ = json.Unmarshal(meta.Training, &rec)
		}
		if bin, err = corpus.ParseBinarize(rec.Binarize); err != nil {
			return fmt.Errorf("%s: %v", f.out, err)
		}
		tr.Opts.MaxTime = f.maxTime
	} else {
		if ctl, err = corpus.ParseControl(f.controlFrom); err != nil {
			return usagef("%v", err)
		}
		if bin, err = corpus.ParseBinarize(f.binarize); err != nil {
			return usagef("--binarize: %v", err)
		}
		if bin == corpus.Stochastic && f.levels != 2 {
			return usagef("--binarize stochastic needs --levels 2")
		}
	}
	set, err := loadImageSet(ctx, stderr, docs, ctl)
	if err != nil {
		return err
	}
	var vset *corpus.ImageSet
	switch {
	case f.validSplit > 0:
		if set, vset, err = set.Split(f.validSplit); err != nil {
			return usagef("--valid-split: %v", err)
		}
	case len(f.valid) > 0:
		vdocs, err := corpus.Files(f.valid, corpus.Options{})
		if err != nil {
			return err
		}
		if vset, err = loadImageSet(ctx, stderr, vdocs, ctl); err != nil {
			return err
		}
	}
	if tok == nil {
		if tok, err = pixelTokenizer(f.levels, set, ctl); err != nil {
			return err
		}
	}
	seqs, err := set.Sequences(tok, bin, f.seed)
	if err != nil {
		return err
	}
	data := train.Data{TrainSeqs: seqs}
	if vset != nil {
		// Fixed draws (epoch 0 of their own seed) for a comparable loss.
		if data.ValidSeqs, err = vset.Sequences(tok, bin, f.seed+1); err != nil {
			return err
		}
	}
	if tr == nil {
		T := seqs.SeqLen() - 1
		m, err := train.NewModel(train.Arch{Family: f.arch, Layers: f.layers, Dim: f.dim, Embed: f.embed,
			Heads: f.heads, Context: T, Dropout: f.dropout, Image: tok.Shape(), Kernel: f.kernel,
			Maps: f.maps}, tok.Vocab(), f.seed)
		if err != nil {
			return usagef("%v", err)
		}
		if meta, err = train.Meta(m, corpus.Stream, ctl); err != nil {
			return err
		}
		opts := train.Options{Batch: f.batch, Context: T, Steps: f.steps, Accum: f.accum,
			LR: f.lr, Warmup: f.warmup, WeightDecay: f.weightDec, Beta2: f.beta2, Clip: f.clip, Seed: f.seed,
			LabelSmoothing: f.smoothing,
			EvalEvery:      f.evalEvery, EvalTokens: f.evalTokens, MaxTime: f.maxTime}
		if opts, err = f.exposure.set(opts, tokenize.KindPixels); err != nil {
			return err
		}
		if tr, err = train.New(m, opts); err != nil {
			return usagef("%v", err)
		}
	}
	nvalid := 0
	if vset != nil {
		nvalid = len(vset.Images)
	}
	training := map[string]any{"data": append([]string(nil), f.corpus.data...),
		"valid": []string(f.valid), "valid_split": f.validSplit,
		"include": []string(f.corpus.include), "exclude": []string(f.corpus.exclude),
		"images": len(set.Images), "valid_images": nvalid, "binarize": bin.String(),
		"train_tokens": len(set.Images) * tok.Shape().Samples()}
	banner := fmt.Sprintf("training %s: %s parameters, %s training images, %s validation images of %s, %d levels%s, %d steps of %d×%d images",
		meta.Family, thousands(int64(tr.Model.Arena().Count())), thousands(int64(len(set.Images))), thousands(int64(nvalid)),
		tok.Shape(), tok.Levels(), binarizeNote(tok, bin), tr.Opts.Steps, tr.Opts.Accum, tr.Opts.Batch)
	return runTraining(ctx, stderr, f, &trainingRun{tr: tr, meta: meta, tok: tok, training: training, unit: "token",
		banner: banner, data: data})
}

// binarizeNote names the binarization of a two-level run.
func binarizeNote(tok *tokenize.Pixels, b corpus.Binarize) string {
	if tok.Levels() != 2 {
		return ""
	}
	return " (" + b.String() + " binarization)"
}

// loadImageSet reads a data set of images, with progress on stderr.
func loadImageSet(ctx context.Context, stderr io.Writer, docs []corpus.Doc, ctl corpus.Control) (*corpus.ImageSet, error) {
	pr := newProgress(stderr, "reading")
	set, err := corpus.LoadImages(ctx, docs, corpus.ImageOptions{Control: ctl, Progress: pr.bytes})
	pr.done()
	return set, err
}

// pixelTokenizer is the pixel tokenizer of a data set: its shape, levels,
// and under a control rule its classes.
func pixelTokenizer(levels int, set *corpus.ImageSet, ctl corpus.Control) (*tokenize.Pixels, error) {
	tok, err := tokenize.NewPixels(levels, set.Shape())
	if err != nil {
		return nil, usagef("--levels: %v", err)
	}
	if ctl.Kind == corpus.ControlNone {
		return tok, nil
	}
	tags := set.Tags()
	if len(tags) == 0 {
		return nil, fmt.Errorf("control rule %s: no image has a class", ctl)
	}
	ct, err := tokenize.WithControls(tok, tags)
	if err != nil {
		return nil, err
	}
	return ct.(*tokenize.Pixels), nil
}
