package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/internal/atomicfile"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/tokenize"
	"github.com/autoreg/autoreg/train"
	"github.com/autoreg/autoreg/vae"
)

// trainNeural trains an LSTM, GRU, GPT or VAE model.
//
// Files: --out is the latest checkpoint (a model file eval and sample
// accept, plus the optimizer and trainer state --resume needs); with
// validation data, OUT's name with ".best" before the extension holds the
// weights of the best validation loss; OUT with ".loss.png" instead of the
// extension is the loss chart.
func trainNeural(ctx context.Context, stderr io.Writer, f *trainFlags, args []string) error {
	var (
		tr   *train.Trainer
		tok  tokenize.Tokenizer
		ctl  corpus.Control
		meta modelfile.Meta
		err  error
	)
	mode, err := corpus.ParseMode(f.corpus.mode)
	if err != nil {
		return usagef("--mode: %v", err)
	}
	if f.resume && len(f.corpus.data) == 0 && len(args) == 0 {
		// Resuming without --data: the text the checkpoint was trained on.
		if err := dataFromCheckpoint(f); err != nil {
			return err
		}
	}
	docs, err := f.corpus.docs(args)
	if err != nil {
		return err
	}
	// The text is read twice (vocabulary, then tokens): spool stdin.
	docs, cleanup, err := corpus.Spool(docs, "")
	if err != nil {
		return err
	}
	defer cleanup()
	if f.validSplit < 0 || f.validSplit >= 1 {
		return usagef("--valid-split %g: want a fraction in [0, 1)", f.validSplit)
	}
	if f.validSplit > 0 && len(f.valid) > 0 {
		return usagef("--valid-split and --valid exclude each other")
	}
	var ck *train.Checkpoint
	if f.resume {
		if ck, err = train.ReadCheckpoint(f.out); err != nil {
			return err
		}
	}
	if ck != nil && ck.Tokenizer.Kind() == tokenize.KindPixels || ck == nil && f.tok == tokenize.KindPixels {
		return trainImages(ctx, stderr, f, docs, ck)
	}
	if ck != nil && isSound(ck.Tokenizer.Kind()) || ck == nil && isSound(f.tok) {
		return trainAudio(ctx, stderr, f, docs, ck)
	}
	if f.resume {
		tr, tok, meta, mode, ctl = ck.Trainer, ck.Tokenizer, ck.Meta, ck.Mode, ck.Control
		f.arch = meta.Family
		tr.Opts.MaxTime = f.maxTime
	} else {
		if tok, ctl, err = learnTokenizer(ctx, stderr, f, docs, mode); err != nil {
			return err
		}
		if tok, err = f.fim.sentinels(f.arch, tok); err != nil {
			return err
		}
		if f.arch == "gpt" && f.embed != 0 && f.embed != f.dim {
			return usagef("--embed: a GPT's embedding width is --dim")
		}
		arch := train.Arch{Family: f.arch, Layers: f.layers, Dim: f.dim, Embed: f.embed,
			Heads: f.heads, Context: f.context, Dropout: f.dropout}
		if f.arch == "vae" {
			if arch, err = vaeArch(arch, f); err != nil {
				return err
			}
		}
		m, err := train.NewModel(arch, tok.Vocab(), f.seed)
		if err != nil {
			return usagef("%v", err)
		}
		if meta, err = train.Meta(m, mode, ctl); err != nil {
			return err
		}
		opts := f.options(f.context, ctl)
		opts.FIMRate, opts.FIMSPMRate = f.fim.rate, f.fim.spm
		if opts, err = f.exposure.set(opts, tok.Kind()); err != nil {
			return err
		}
		if tr, err = train.New(m, opts); err != nil {
			return usagef("%v", err)
		}
		if _, rec := tr.Model.(train.Recurrent); opts.ControlWindows && !rec {
			fmt.Fprintln(stderr, "control codes: every training window starts with <s> and its sequence's code")
		}
	}

	tr.FIMSplit = fimSplit(tok)
	pr := newProgress(stderr, "reading")
	trainToks, st, err := corpus.Load(ctx, docs, tok, corpus.TokenOptions{Mode: mode, Control: ctl, Progress: pr.bytes})
	pr.done()
	if err != nil {
		return err
	}
	trainToks, validToks, err := f.validation(trainToks, func(vdocs []corpus.Doc) ([]autoreg.Token, error) {
		toks, _, err := corpus.Load(ctx, vdocs, tok, corpus.TokenOptions{Mode: mode, Control: ctl})
		return toks, err
	})
	if err != nil {
		return err
	}

	training := map[string]any{"data": append(append([]string(nil), f.corpus.data...), args...),
		"valid": []string(f.valid), "valid_split": f.validSplit,
		"include": []string(f.corpus.include), "exclude": []string(f.corpus.exclude), "train_tokens": len(trainToks),
		"valid_tokens": len(validToks), "chars": st.Chars}
	banner := fmt.Sprintf("training %s: %s parameters, %s training tokens, %s validation tokens, %d steps of %d×%d×%d tokens",
		f.arch, thousands(int64(tr.Model.Arena().Count())), thousands(int64(len(trainToks))),
		thousands(int64(len(validToks))), tr.Opts.Steps, tr.Opts.Accum, tr.Opts.Batch, tr.Opts.Context)
	return runTraining(ctx, stderr, f, &trainingRun{tr: tr, meta: meta, tok: tok, training: training, unit: "token",
		banner: banner, data: train.Data{Train: trainToks, Valid: validToks}})
}

// vaeArch adds the VAE's flags to arch.
func vaeArch(arch train.Arch, f *trainFlags) (train.Arch, error) {
	an, err := vae.ParseAnneal(f.klAnneal)
	if err != nil {
		return arch, usagef("--kl-anneal: %v", err)
	}
	arch.Latent = f.latent
	arch.Objective = vae.Objective{Anneal: an, FreeBits: f.freeBits, WordDropout: f.wordDropout}
	return arch, nil
}

// options returns the trainer's settings from the flags, for windows of
// context tokens and the control rule ctl: under a rule, every window
// starts <s> <ctl:TAG> (as CTRL starts every sequence with its code), so
// the code is in view at every position, as it is when generating. Whole
// sentences (--sentences, and always for a VAE) start there anyway.
func (f *trainFlags) options(context int, ctl corpus.Control) train.Options {
	sentences := f.sentences || f.arch == "vae"
	return train.Options{Batch: f.batch, Context: context, Steps: f.steps, Accum: f.accum,
		LR: f.lr, Warmup: f.warmup, WeightDecay: f.weightDec, Beta2: f.beta2, Clip: f.clip, Seed: f.seed,
		LabelSmoothing: f.smoothing,
		EvalEvery:      f.evalEvery, EvalTokens: f.evalTokens, MaxTime: f.maxTime,
		ControlWindows: ctl.Kind != corpus.ControlNone && !sentences, Sentences: sentences}
}

// validation returns the training and validation tokens of a run: the
// end of the training tokens held out by --valid-split, or the --valid
// files read by load, or none.
func (f *trainFlags) validation(trainToks []autoreg.Token, load func([]corpus.Doc) ([]autoreg.Token, error)) (tr, valid []autoreg.Token, err error) {
	switch {
	case f.validSplit > 0:
		if tr, valid, err = corpus.Split(trainToks, f.validSplit); err != nil {
			return nil, nil, usagef("--valid-split: %v", err)
		}
		return tr, valid, nil
	case len(f.valid) > 0:
		vdocs, err := corpus.Files(f.valid, corpus.Options{})
		if err != nil {
			return nil, nil, err
		}
		valid, err = load(vdocs)
		return trainToks, valid, err
	}
	return trainToks, nil, nil
}

// trainingRun is a neural training run ready to go, token or real-valued.
type trainingRun struct {
	tr       *train.Trainer
	meta     modelfile.Meta
	tok      tokenize.Tokenizer // nil for a real-valued model
	srcTok   tokenize.Tokenizer // an encoder-decoder's source tokenizer
	training map[string]any     // the training record stored in META
	unit     string             // what the trainer counts: "token" or "step"
	banner   string             // the line printed before training
	data     train.Data
	// done, if set, adds to the last line (the best model's scores).
	done func(tr *train.Trainer) string
}

// counter is the name of the trainer's data count in records: "tokens",
// or "data_steps" (time steps of the series, not optimizer steps).
func (r *trainingRun) counter() string {
	if r.unit == "step" {
		return "data_steps"
	}
	return "tokens"
}

// runTraining runs r: checkpoints to --out, the best validation model to
// OUT.best.EXT, the loss chart to OUT.loss.png, the step log to --log, a
// progress bar, and a summary line.
func runTraining(ctx context.Context, stderr io.Writer, f *trainFlags, r *trainingRun) error {
	tr := r.tr
	out := f.out
	base := strings.TrimSuffix(out, filepath.Ext(out))
	bestPath := base + ".best" + filepath.Ext(out)
	chartPath := base + ".loss.png"
	logw, err := openTrainLog(f.logPath, f.resume, tr.Step, r.counter())
	if err != nil {
		return err
	}
	defer logw.close()

	training := r.training
	if f.resume && f.exposure.given() {
		return usagef("--scheduled-sampling, --input-noise, --objective, --init: a resumed run keeps its checkpoint's settings")
	}
	exposureRecord(training, tr.Opts)
	tr.Checkpoint = func(t *train.Trainer, reason train.SaveReason) (string, error) {
		training["steps"], training[r.counter()], training["seconds"] = t.Step, t.Tokens, t.Elapsed.Seconds()
		if !math.IsNaN(t.BestVal) {
			training["best_val_loss"] = t.BestVal
		}
		r.meta.Training, _ = json.Marshal(training)
		file := modelfile.File{Meta: r.meta, Tokenizer: r.tok, SourceTokenizer: r.srcTok}
		if reason == train.SaveBest {
			return bestPath, t.SaveFile(bestPath, file, false)
		}
		if err := t.SaveFile(out, file, true); err != nil {
			return "", err
		}
		if err := writeLossChart(chartPath, t.History, r.unit); err != nil {
			return "", fmt.Errorf("loss chart: %w", err)
		}
		return out, nil
	}
	bar := newTrainBar(stderr, tr.Opts.Steps, tr.Step, r.unit)
	tr.OnStep = func(p train.Progress) {
		logw.write(p)
		bar.update(p)
		if stopAt != nil {
			stopAt(p.Step)
		}
	}
	fmt.Fprintln(stderr, r.banner)
	if f.resume {
		fmt.Fprintf(stderr, "resuming %s at step %d\n", out, tr.Step)
	}
	err = tr.Run(ctx, r.data)
	bar.done()
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("interrupted at step %d; checkpoint saved to %s (continue with --resume)", tr.Step, out)
	}
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("done: %d steps, %s %ss in %s; model %s, chart %s", tr.Step, thousands(tr.Tokens), r.unit,
		tr.Elapsed.Round(time.Second), out, chartPath)
	if !math.IsNaN(tr.BestVal) {
		msg += fmt.Sprintf("; best validation loss %.4f nats/%s in %s", tr.BestVal, r.unit, bestPath)
		if r.done != nil {
			msg += r.done(tr)
		}
	}
	fmt.Fprintln(stderr, msg)
	return nil
}

// dataFromCheckpoint fills the data flags of a --resume without --data
// from what the checkpoint at --out recorded.
func dataFromCheckpoint(f *trainFlags) error {
	ck, err := modelfile.Read(f.out)
	if err != nil {
		return err
	}
	var rec struct {
		Data       []string `json:"data"`
		Valid      []string `json:"valid"`
		ValidSplit float64  `json:"valid_split"`
		Include    []string `json:"include"`
		Exclude    []string `json:"exclude"`
	}
	if len(ck.Meta.Training) > 0 {
		_ = json.Unmarshal(ck.Meta.Training, &rec)
	}
	if len(rec.Data) == 0 {
		return usagef("--resume: give --data (the checkpoint does not record its training text)")
	}
	f.corpus.data, f.corpus.include, f.corpus.exclude = rec.Data, rec.Include, rec.Exclude
	if len(f.valid) == 0 && f.validSplit == 0 {
		f.valid, f.validSplit = rec.Valid, rec.ValidSplit
	}
	return nil
}

// stopAt, if set (tests), is called after every training step.
var stopAt func(step int)

// trainLog writes --log: one JSON object per step.
type trainLog struct {
	f       *os.File
	bw      *bufio.Writer
	counter string // the data count's key
}

// openTrainLog opens path for the step log of a run whose data count is
// logged as counter ("tokens" or "data_steps"). On resume it keeps the lines of steps up to
// the checkpoint's (a killed run may have logged further) so the log reads
// as if the run had never stopped.
func openTrainLog(path string, resume bool, step int, counter string) (*trainLog, error) {
	if path == "" {
		return &trainLog{}, nil
	}
	var keep []byte
	if resume {
		old, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		for _, line := range strings.SplitAfter(string(old), "\n") {
			var p struct {
				Step int `json:"step"`
			}
			if !strings.HasSuffix(line, "\n") || json.Unmarshal([]byte(line), &p) != nil || p.Step > step {
				break
			}
			keep = append(keep, line...)
		}
		w, err := atomicfile.Create(path)
		if err != nil {
			return nil, err
		}
		defer w.Abort()
		if _, err := w.Write(keep); err != nil {
			return nil, err
		}
		if err := w.Commit(); err != nil {
			return nil, err
		}
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if resume {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	fh, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, err
	}
	return &trainLog{f: fh, bw: bufio.NewWriter(fh), counter: counter}, nil
}

func (l *trainLog) write(p train.Progress) {
	if l.f == nil {
		return
	}
	rec := map[string]any{"step": p.Step, l.counter: p.Tokens, "loss": p.Loss, "lr": p.LR,
		l.counter + "_per_sec": math.Round(p.TokensPerSec), "grad_norm": p.GradNorm,
		"elapsed_sec": math.Round(p.Elapsed.Seconds()*1000) / 1000}
	if p.HasVal {
		rec["val_loss"] = p.ValLoss
	}
	for k, v := range p.Parts {
		rec[k] = v
	}
	for k, v := range p.ValParts {
		rec["val_"+k] = v
	}
	b, _ := json.Marshal(rec)
	l.bw.Write(append(b, '\n'))
	// Flush at checkpoints and evaluations so a killed run's log reaches
	// at least its last checkpoint.
	if p.HasVal || p.Saved != "" || p.Step == p.Steps {
		l.bw.Flush()
	}
}

func (l *trainLog) close() {
	if l.f != nil {
		l.bw.Flush()
		l.f.Close()
	}
}

// trainBar draws the progress line: on a terminal a carriage-return line
// redrawn at most ten times a second; elsewhere one line per evaluation.
type trainBar struct {
	p       *progress
	unit    string
	steps   int
	first   int
	start   time.Time
	lastVal float64
	rate    float64 // smoothed tokens/s
}

func newTrainBar(w io.Writer, steps, first int, unit string) *trainBar {
	return &trainBar{p: newProgress(w, "train"), unit: unit, steps: steps, first: first, start: time.Now(), lastVal: math.NaN()}
}

func (b *trainBar) update(p train.Progress) {
	if p.HasVal {
		b.lastVal = p.ValLoss
	}
	if b.rate == 0 {
		b.rate = p.TokensPerSec
	} else {
		b.rate = 0.9*b.rate + 0.1*p.TokensPerSec
	}
	done := p.Step - b.first
	el := time.Since(b.start)
	eta := time.Duration(float64(el) / float64(max(done, 1)) * float64(b.steps-p.Step))
	width := 24
	fill := width * p.Step / max(b.steps, 1)
	rate := "tok/s"
	if b.unit == "step" {
		rate = "steps/s"
	}
	line := fmt.Sprintf("[%s%s] %d/%d ETA %s  %s %s  loss %.4f", strings.Repeat("=", fill), strings.Repeat(" ", width-fill),
		p.Step, b.steps, eta.Round(time.Second), thousands(int64(b.rate)), rate, p.Loss)
	if !math.IsNaN(b.lastVal) {
		line += fmt.Sprintf("  val %.4f", b.lastVal)
	}
	if kl, ok := p.Parts["kl"]; ok {
		line += fmt.Sprintf("  kl %.4f β %.2f", kl, p.Parts["kl_weight"])
	}
	if eps, ok := p.Parts["ss_epsilon"]; ok {
		line += fmt.Sprintf("  ε %.2f", eps)
	}
	line += fmt.Sprintf("  lr %.2e", p.LR)
	if b.p.tty {
		if time.Since(b.p.last) >= 100*time.Millisecond || p.Step == b.steps {
			b.p.last = time.Now()
			b.p.line(line)
		}
		return
	}
	if p.HasVal || p.Step == b.steps {
		fmt.Fprintln(b.p.w, line)
	}
}

func (b *trainBar) done() {
	if b.p.drawn {
		fmt.Fprintln(b.p.w)
		b.p.drawn = false
	}
}
