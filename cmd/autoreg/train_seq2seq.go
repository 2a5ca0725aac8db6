package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/seq2seq"
	"github.com/autoreg/autoreg/tokenize"
	"github.com/autoreg/autoreg/train"
)

// s2sFlags are the flags of `autoreg train --arch seq2seq` beyond the
// neural ones it shares (--layers, --dim, --heads, --context, --dropout,
// --batch, the optimizer's).
type s2sFlags struct {
	srcTok     string
	encLayers  int
	ffn        int
	srcContext int
	shared     bool
	skipBad    bool
}

func (s *s2sFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.srcTok, "src-tokenizer", "char", "seq2seq: the sources' tokenizer: byte, `char` or word (--tokenizer is the targets')")
	fs.IntVar(&s.encLayers, "enc-layers", 0, "seq2seq: encoder layers (0 = --layers, which also sets the decoder's)")
	fs.IntVar(&s.ffn, "ffn", 0, "seq2seq: the MLPs' hidden width (0 = 4 × --dim)")
	fs.IntVar(&s.srcContext, "src-context", 0, "seq2seq: the longest source in tokens (0 = --context, which bounds the targets with their <s>)")
	fs.BoolVar(&s.shared, "shared-vocab", false, "seq2seq: one vocabulary and embedding for sources and targets (learned from both sides with --tokenizer)")
	fs.BoolVar(&s.skipBad, "skip-bad", false, "pair data: skip (and count) lines without a tab, with an empty side, too long, or pairs longer than the model takes, instead of failing")
}

// isSeq2seqCheckpoint reports whether the model file at path is an
// encoder-decoder (an unreadable file is left to the resume path to
// report).
func isSeq2seqCheckpoint(path string) bool {
	f, err := modelfile.Read(path)
	return err == nil && f.Meta.Family == "seq2seq"
}

// trainSeq2seq trains an encoder-decoder on source<TAB>target pairs; the
// files are trainNeural's (checkpoint, best model, chart, log).
func trainSeq2seq(ctx context.Context, stderr io.Writer, f *trainFlags, args []string) error {
	var (
		tr       *train.Trainer
		file     modelfile.File
		cfg      seq2seq.Config
		srcTok   tokenize.Tokenizer
		tgtTok   tokenize.Tokenizer
		resumeCk *modelfile.File
	)
	if f.resume {
		if len(f.corpus.data) == 0 && len(args) == 0 {
			if err := dataFromCheckpoint(f); err != nil {
				return err
			}
		}
		ck, err := modelfile.Read(f.out)
		if err != nil {
			return err
		}
		resumeCk = ck
	}
	docs, err := f.corpus.docs(args)
	if err != nil {
		return err
	}
	opts := corpus.PairOptions{SkipBad: f.s2s.skipBad}
	pr := newProgress(stderr, "reading")
	texts, st, err := corpus.ReadPairs(ctx, docs, opts)
	pr.done()
	if err != nil {
		return err
	}
	var validTexts []corpus.TextPair
	var vst corpus.PairStats
	if len(f.valid) > 0 {
		vdocs, err := corpus.Files(f.valid, corpus.Options{})
		if err != nil {
			return err
		}
		if validTexts, vst, err = corpus.ReadPairs(ctx, vdocs, opts); err != nil {
			return err
		}
	}
	if f.validSplit != 0 {
		return usagef("--valid-split: give the encoder-decoder's validation pairs with --valid")
	}

	if resumeCk != nil {
		m, ok := resumeCk.Model.(*seq2seq.Model)
		if !ok {
			return fmt.Errorf("%s: not an encoder-decoder", f.out)
		}
		if tr, err = train.Resume(resumeCk); err != nil {
			return fmt.Errorf("%s: %w", f.out, err)
		}
		tr.Opts.MaxTime = f.maxTime
		cfg, srcTok, tgtTok = m.Config(), resumeCk.SourceTokenizer, resumeCk.Tokenizer
		file = modelfile.File{Meta: resumeCk.Meta, Tokenizer: tgtTok, SourceTokenizer: srcTok}
	} else if f.exposure.init != "" {
		// Fine-tuning: the model, its configuration and tokenizers are the
		// file's; the run is new.
		init, err := modelfile.Read(f.exposure.init)
		if err != nil {
			return err
		}
		m, ok := init.Model.(*seq2seq.Model)
		if !ok {
			return usagef("--init %s: a %s model, not an encoder-decoder", f.exposure.init, init.Meta.Family)
		}
		cfg, srcTok, tgtTok = m.Config(), init.SourceTokenizer, init.Tokenizer
		file = modelfile.File{Meta: modelfile.Meta{Family: init.Meta.Family, Mode: init.Meta.Mode, Config: init.Meta.Config},
			Tokenizer: tgtTok, SourceTokenizer: srcTok}
		if tr, err = f.s2sTrainer(m, cfg); err != nil {
			return err
		}
	} else {
		vo := func(kind string) corpus.TokenizerOptions {
			return corpus.TokenizerOptions{Kind: kind, VocabSize: f.vocabSize, MinCount: f.vocabMinCount}
		}
		if f.s2s.shared {
			tgtTok, err = corpus.LearnSharedTokenizer(texts, vo(f.tok))
			srcTok = tgtTok
		} else {
			srcTok, tgtTok, err = corpus.LearnPairTokenizers(texts, vo(f.s2s.srcTok), vo(f.tok))
		}
		if err != nil {
			return err
		}
		srcCtx := f.s2s.srcContext
		if srcCtx <= 0 {
			srcCtx = f.context
		}
		layers, enc, ffn := f.layers, f.layers, f.s2s.ffn
		if f.s2s.encLayers > 0 {
			enc = f.s2s.encLayers
		}
		if ffn <= 0 {
			ffn = 4 * f.dim
		}
		if f.embed != 0 && f.embed != f.dim {
			return usagef("--embed: an encoder-decoder's embedding width is --dim")
		}
		cfg = seq2seq.Config{EncLayers: enc, DecLayers: layers, Dim: f.dim, Heads: f.heads, FFN: ffn,
			SrcContext: srcCtx + 1, Context: f.context, Dropout: f.dropout, Shared: f.s2s.shared}
		m, err := seq2seq.New(cfg, tgtTok.Vocab(), srcTok.Vocab(), f.seed)
		if err != nil {
			return usagef("%v", err)
		}
		conf, _ := json.Marshal(cfg)
		file = modelfile.File{Meta: modelfile.Meta{Family: "seq2seq", Mode: corpus.Lines.String(), Config: conf},
			Tokenizer: tgtTok, SourceTokenizer: srcTok}
		if tr, err = f.s2sTrainer(m, cfg); err != nil {
			return err
		}
	}

	limits := corpus.PairOptions{SkipBad: f.s2s.skipBad, MaxSrc: cfg.SrcContext - 1, MaxTgt: cfg.Context - 1}
	trainPairs, err := corpus.EncodePairs(texts, srcTok, tgtTok, "training pairs", limits, &st)
	if err != nil {
		return err
	}
	validPairs, err := corpus.EncodePairs(validTexts, srcTok, tgtTok, "validation pairs", limits, &vst)
	if err != nil {
		return err
	}
	reportPairs(stderr, "training", st)
	if len(f.valid) > 0 {
		reportPairs(stderr, "validation", vst)
	}
	var trainTok, validTok int
	for _, p := range trainPairs {
		trainTok += len(p.Tgt) + 1
	}
	for _, p := range validPairs {
		validTok += len(p.Tgt) + 1
	}
	training := map[string]any{"data": append(append([]string(nil), f.corpus.data...), args...),
		"valid": []string(f.valid), "include": []string(f.corpus.include), "exclude": []string(f.corpus.exclude),
		"train_pairs": len(trainPairs), "valid_pairs": len(validPairs), "train_tokens": trainTok,
		"valid_tokens": validTok, "skipped": st.Skipped()}
	if f.exposure.init != "" {
		training["init"] = f.exposure.init
	}
	banner := fmt.Sprintf("training seq2seq: %s parameters, %s training pairs (%s target tokens), %s validation pairs, %d steps of %d×%d pairs",
		thousands(int64(tr.Model.Arena().Count())), thousands(int64(len(trainPairs))), thousands(int64(trainTok)),
		thousands(int64(len(validPairs))), tr.Opts.Steps, tr.Opts.Accum, tr.Opts.Batch)
	return runTraining(ctx, stderr, f, &trainingRun{tr: tr, meta: file.Meta, tok: file.Tokenizer, srcTok: file.SourceTokenizer,
		training: training, unit: "token", banner: banner, data: train.Data{TrainPairs: trainPairs, ValidPairs: validPairs}})
}

// s2sTrainer returns a new run of the encoder-decoder m from the flags.
func (f *trainFlags) s2sTrainer(m *seq2seq.Model, cfg seq2seq.Config) (*train.Trainer, error) {
	o := train.Options{Batch: f.batch, Context: cfg.Context, Steps: f.steps, Accum: f.accum,
		LR: f.lr, Warmup: f.warmup, WeightDecay: f.weightDec, Beta2: f.beta2, Clip: f.clip, Seed: f.seed,
		LabelSmoothing: f.smoothing,
		EvalEvery:      f.evalEvery, EvalTokens: f.evalTokens, MaxTime: f.maxTime}
	o, err := f.exposure.set(o, "seq2seq")
	if err != nil {
		return nil, err
	}
	tr, err := train.New(m, o)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return tr, nil
}

// reportPairs prints what reading a set of pairs skipped and how many
// tokens were unknown.
func reportPairs(stderr io.Writer, what string, st corpus.PairStats) {
	if n := st.Skipped(); n > 0 {
		fmt.Fprintf(stderr, "%s pairs: %s skipped of %s lines (no tab %d, empty side %d, too long %d, invalid UTF-8 %d, too many tokens %d)\n",
			what, thousands(n), thousands(st.Lines), st.NoTab, st.Empty, st.TooLong, st.BadUTF8, st.TooManyTokens)
	}
	if st.Unknown > 0 {
		fmt.Fprintf(stderr, "%s pairs: %s tokens unknown to the tokenizers\n", what, thousands(st.Unknown))
	}
}
