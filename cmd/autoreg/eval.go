package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/eval"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/tokenize"
)

func init() {
	register(&command{
		name:    "eval",
		summary: "Measure a model on text: tokens, OOVs, log-likelihood, perplexity, bits per token, character and byte; an encoder-decoder on tab-separated pairs, with --decode its task metrics; on images: nats per image and bits per dimension; on sound: bits per sample.",
		usage:   "--model FILE --data PATH... [--json] [--tail FRACTION] [--decode [--beams N]] [--infill [--spans FILE]]",
		run:     runEval,
	})
}

// runEval is `autoreg eval`.
func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if modelfile.IsRealFile(flagValue(args, "model")) {
		return runEvalReal(ctx, args, stdout, stderr)
	}
	fs := newFlagSet("eval")
	var cf corpusFlags
	cf.register(fs, "text to score")
	model := fs.String("model", "", "the model: an autoreg model file or an ARPA file")
	asJSON := fs.Bool("json", false, "print one JSON object instead of a table")
	continuous := fs.Bool("continuous", false, "score the text as one stream: keep the history across sequences (<s> is context, not a reset), as a recurrent model trained by truncated BPTT reads it and as Zaremba et al. report PTB")
	stride := fs.Int("stride", 0, "models with a bounded context (GPT): slide the window `N` tokens at a time; each window scores its N new tokens conditioned on the rest (0 = half the context)")
	fs.StringVar(&cf.mode, "mode", "", "how text is cut into sequences: stream (a file is a sequence) or lines (a line is a sentence); default: as in training")
	var lf latentEvalFlags
	lf.register(fs)
	var pf pairEvalFlags
	pf.register(fs)
	var inf infillFlags
	inf.register(fs)
	binarize := fs.String("binarize", "threshold", "images, 2-level model: threshold or stochastic (1 with probability v/max, from --seed); images that are already bilevel are read as they are")
	seed := fs.Uint64("seed", 1, "random seed: of --binarize stochastic (images), of the codes drawn from the posterior (vae), of --infill's random spans")
	marginal := fs.Bool("marginal", false, "images, class-conditional model: score every image under every class and report −log Σ_c P(c)·P(x|c) with a uniform prior, the unconditional likelihood (costs one pass per class)")
	tail := fs.Float64("tail", 0, "sound: score only the last `FRACTION` of each WAV file's samples, conditioned on the rest (0 = all)")
	args, err := parseArgs(fs, args, stdout)
	if err != nil {
		return err
	}
	f, err := loadModel(*model)
	if err != nil {
		return err
	}
	if inf.on {
		inf.seed = *seed
		return evalInfill(ctx, stdout, f, &cf, args, &inf, *asJSON)
	}
	if tok, ok := f.Tokenizer.(*tokenize.Pixels); ok {
		docs, err := cf.docs(args)
		if err != nil {
			return err
		}
		return evalImages(ctx, stdout, stderr, f, tok, docs, *binarize, *seed, *marginal, *asJSON)
	}
	if snd, ok := f.Tokenizer.(tokenize.Sound); ok {
		docs, err := cf.docs(args)
		if err != nil {
			return err
		}
		return evalAudio(ctx, stdout, stderr, f, snd, docs, *tail, *asJSON)
	}
	if c, ok := f.Model.(autoreg.Conditional); ok {
		docs, err := cf.docs(args)
		if err != nil {
			return err
		}
		return evalPairs(ctx, stdout, stderr, f, c, docs, &pf, *asJSON)
	}
	mode := f.Meta.Mode
	if cf.mode != "" {
		mode = cf.mode
	}
	m, err := corpus.ParseMode(mode)
	if err != nil {
		return usagef("--mode: %v", err)
	}
	if *continuous && *stride > 0 {
		return usagef("--continuous and --stride exclude each other")
	}
	docs, err := cf.docs(args)
	if err != nil {
		return err
	}
	start := time.Now()
	pr := newProgress(stderr, "scoring")
	ctl, err := corpus.ParseControl(f.Meta.Control)
	if err != nil {
		return fmt.Errorf("%s: %v", *model, err)
	}
	if lm, ok := f.Model.(autoreg.Latent); ok {
		if *continuous || *stride > 0 {
			return usagef("--continuous and --stride do not apply to a latent-variable model (each sequence has its own code)")
		}
		lf.seed = *seed
		return evalLatent(ctx, stdout, pr, lm, f.Tokenizer, docs, m, ctl, lf, *asJSON)
	}
	res, err := eval.Run(ctx, f.Model, f.Tokenizer, docs, eval.Options{Mode: m, Stride: *stride, Control: ctl, Progress: pr.bytes, Continuous: *continuous})
	pr.done()
	if err != nil {
		return err
	}
	if res.Tokens == 0 {
		return fmt.Errorf("no tokens to score in %s", cf.data)
	}
	el := time.Since(start)
	if *asJSON {
		out := res.JSON()
		for k, v := range out {
			// JSON has no infinities: bits per character of a file
			// without characters is null.
			if x, ok := v.(float64); ok && (math.IsInf(x, 0) || math.IsNaN(x)) {
				out[k] = nil
			}
		}
		out["seconds"] = el.Seconds()
		out["mode"] = m.String()
		return json.NewEncoder(stdout).Encode(out)
	}
	printEval(stdout, res, m, el)
	return nil
}

func printEval(w io.Writer, r eval.Result, m corpus.Mode, el time.Duration) {
	fmt.Fprintf(w, "text        %d files, %s bytes, %s characters, %s sequences (%s mode)\n",
		r.Files, thousands(r.Bytes), thousands(r.Chars), thousands(r.Sequences), m)
	fmt.Fprintf(w, "tokens      %s scored, %s OOV (%.2f%%)\n", thousands(r.Tokens), thousands(r.OOV), 100*float64(r.OOV)/float64(r.Tokens))
	fmt.Fprintf(w, "NLL         %.2f nats\n", r.NLL)
	fmt.Fprintf(w, "perplexity  %.3f including OOVs, %.3f excluding OOVs\n", r.PPL(), r.PPLExclOOV())
	fmt.Fprintf(w, "bits        %.4f per token, %.4f per character, %.4f per byte\n", r.BitsPerToken(), r.BitsPerChar(), r.BitsPerByte())
	if r.Window > 0 {
		fmt.Fprintf(w, "window      %d tokens of context, stride %d\n", r.Window, r.Stride)
	}
	fmt.Fprintf(w, "speed       %.0f tokens/s\n", float64(r.Tokens)/el.Seconds())
}
