package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/tokenize"
	"github.com/autoreg/autoreg/train"
)

// isSound reports whether a tokenizer kind reads WAV files.
func isSound(kind string) bool { return kind == tokenize.KindMuLaw || kind == tokenize.KindG711U }

// trainAudio trains a neural model on WAV files (--tokenizer mulaw or
// g711u; --arch wavenet takes mulaw unless told otherwise): every file is
// one sequence <s> [<ctl:TAG>] samples </s>, its tag from --control-from
// parent-dir or glob, the tokenizer's rate and channels those of the first
// file. ck is the checkpoint of a --resume, nil otherwise.
func trainAudio(ctx context.Context, stderr io.Writer, f *trainFlags, docs []corpus.Doc, ck *train.Checkpoint) error {
	var (
		tr   *train.Trainer
		tok  tokenize.Sound
		meta modelfile.Meta
		ctl  corpus.Control
		err  error
	)
	if ck != nil {
		tr, meta, ctl = ck.Trainer, ck.Meta, ck.Control
		tok = ck.Tokenizer.(tokenize.Sound)
		tr.Opts.MaxTime = f.maxTime
	} else {
		if ctl, err = corpus.ParseControl(f.controlFrom); err != nil {
			return usagef("%v", err)
		}
		if tok, err = soundTokenizer(ctx, f.tok, docs, ctl); err != nil {
			return err
		}
	}
	load := func(docs []corpus.Doc, progress corpus.Progress) ([]autoreg.Token, corpus.AudioStats, error) {
		return corpus.LoadAudio(ctx, docs, tok, corpus.AudioOptions{Control: ctl, Progress: progress})
	}
	pr := newProgress(stderr, "reading")
	trainToks, st, err := load(docs, pr.bytes)
	pr.done()
	if err != nil {
		return err
	}
	trainToks, validToks, err := f.validation(trainToks, func(vdocs []corpus.Doc) ([]autoreg.Token, error) {
		toks, _, err := load(vdocs, nil)
		return toks, err
	})
	if err != nil {
		return err
	}
	if tr == nil {
		m, err := train.NewModel(train.Arch{Family: f.arch, Layers: f.layers, Dim: f.dim, Embed: f.embed, Heads: f.heads,
			Context: f.context, Dropout: f.dropout, Stacks: f.stacks, Skip: f.skip}, tok.Vocab(), f.seed)
		if err != nil {
			return usagef("%v", err)
		}
		if meta, err = train.Meta(m, corpus.Stream, ctl); err != nil {
			return err
		}
		opts, err := f.exposure.set(f.options(f.context, ctl), tok.Kind())
		if err != nil {
			return err
		}
		if tr, err = train.New(m, opts); err != nil {
			return usagef("%v", err)
		}
	}
	training := map[string]any{"data": append([]string(nil), f.corpus.data...),
		"valid": []string(f.valid), "valid_split": f.validSplit,
		"include": []string(f.corpus.include), "exclude": []string(f.corpus.exclude),
		"train_tokens": len(trainToks), "valid_tokens": len(validToks), "seconds_of_audio": st.Seconds}
	banner := fmt.Sprintf("training %s: %s parameters, %s of %s audio in %d files (%s training samples, %s validation samples), %d steps of %d×%d×%d samples",
		meta.Family, thousands(int64(tr.Model.Arena().Count())), seconds(st.Seconds), tok.Audio(), st.Files, thousands(int64(len(trainToks))), thousands(int64(len(validToks))),
		tr.Opts.Steps, tr.Opts.Accum, tr.Opts.Batch, tr.Opts.Context)
	return runTraining(ctx, stderr, f, &trainingRun{tr: tr, meta: meta, tok: tok, training: training, unit: "token",
		banner: banner, data: train.Data{Train: trainToks, Valid: validToks}})
}

// soundTokenizer is the audio tokenizer of kind for a corpus: the first
// file's rate and channels and, under a control rule, the corpus's tags.
func soundTokenizer(ctx context.Context, kind string, docs []corpus.Doc, ctl corpus.Control) (tokenize.Sound, error) {
	shape, err := corpus.AudioShape(docs)
	if err != nil {
		return nil, err
	}
	var tok tokenize.Tokenizer
	switch kind {
	case tokenize.KindMuLaw:
		tok, err = tokenize.NewMuLaw(shape)
	case tokenize.KindG711U:
		tok, err = tokenize.NewG711U(shape)
	default:
		return nil, usagef("--tokenizer %q does not read sound (want mulaw or g711u)", kind)
	}
	if err != nil {
		return nil, err
	}
	if ctl.Kind != corpus.ControlNone {
		tags, err := ctl.Tags(ctx, docs, corpus.Stream)
		if err != nil {
			return nil, err
		}
		if len(tags) == 0 {
			return nil, fmt.Errorf("control rule %s: no file has a tag", ctl)
		}
		if tok, err = tokenize.WithControls(tok, tags); err != nil {
			return nil, err
		}
	}
	return tok.(tokenize.Sound), nil
}

// flagSet reports whether the command line set the flag name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// seconds formats a duration of audio: "65.1 s", "12 min 5 s", "2.3 h".
func seconds(s float64) string {
	switch {
	case s < 120:
		return fmt.Sprintf("%.1f s", s)
	case s < 7200:
		return fmt.Sprintf("%d min %d s", int(s)/60, int(s)%60)
	}
	return fmt.Sprintf("%.1f h", s/3600)
}
