package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/decode"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/tokenize"
)

func init() {
	register(&command{
		name:    "sample",
		summary: "Generate text from a model, printed as it is produced: the full sampler family, beam search, reranking, stop strings, control codes, classifier-free guidance; an encoder-decoder given a source, a fill-in-the-middle model given a suffix; a sentence VAE reconstructs, interpolates or samples from a code. A model of images draws a PNG grid of images, or completes images from their top rows; a model of sound writes a WAV file, and draws its spectrogram beside a real clip's.",
		usage:   "--model FILE [--source TEXT] [--prompt TEXT [--suffix TEXT]] [--max-tokens N] [--seed S] [--control TAG] [--cfg-scale G [--cfg-negative-control TAG] [--cfg-negative-prompt TEXT]] [--reconstruct TEXT | --interpolate A --to B [--steps N] | --latent-from TEXT] [sampler flags] | --model IMAGES.arm --out GRID.png [--count N] [--control TAG] [--prompt-image PATH --rows R] | --model SOUND.arm --seconds S --out GEN.wav [--plot SPEC.png [--reference REAL.wav]]",
		run:     runSample,
	})
}

// runSample is `autoreg sample`.
func runSample(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if modelfile.IsRealFile(flagValue(args, "model")) {
		return runSampleReal(ctx, args, stdout, stderr)
	}
	fs := newFlagSet("sample")
	cfg := decode.DefaultConfig()
	model := fs.String("model", "", "the model: an autoreg model file or an ARPA `FILE`")
	prompt := fs.String("prompt", "", "text to continue (encoded in one call, so a Transformer reads it in one pass)")
	var cond conditionFlags
	cond.register(fs)
	stats := fs.Bool("stats", false, "print one JSON object with tokens, seconds and tokens_per_sec on standard error at the end")
	var biases, stops stringList
	fs.IntVar(&cfg.MaxTokens, "max-tokens", 256, "generate at most `N` tokens (the end-of-sequence token stops earlier)")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "random seed: the same seed gives the same text")
	fs.Float64Var(&cfg.Temperature, "temperature", cfg.Temperature, "divide log-probabilities by `T`; 0 = greedy")
	fs.IntVar(&cfg.TopK, "top-k", cfg.TopK, "keep the `K` most probable tokens (0 = off)")
	fs.Float64Var(&cfg.TopP, "top-p", cfg.TopP, "nucleus: keep the smallest set with probability ≥ `P` (1 = off)")
	fs.Float64Var(&cfg.MinP, "min-p", cfg.MinP, "keep tokens with p ≥ `P`·p_max (0 = off)")
	fs.Float64Var(&cfg.TypicalP, "typical-p", cfg.TypicalP, "locally typical sampling mass `P` (1 = off)")
	fs.Float64Var(&cfg.Epsilon, "epsilon", cfg.Epsilon, "ε-sampling: keep p ≥ ε (0 = off; typical 3e-4…9e-4)")
	fs.Float64Var(&cfg.Eta, "eta", cfg.Eta, "η-sampling: keep p ≥ min(ε, √ε·e^−H) (0 = off)")
	fs.Float64Var(&cfg.TopNSigma, "top-n-sigma", cfg.TopNSigma, "keep scores ≥ max − `N`·σ (0 = off)")
	fs.IntVar(&cfg.MinKeep, "min-keep", cfg.MinKeep, "every truncation keeps at least `N` tokens")
	fs.Float64Var(&cfg.RepetitionPenalty, "repetition-penalty", cfg.RepetitionPenalty, "CTRL penalty θ on repeated tokens: p ← p^θ (1 = off)")
	fs.Float64Var(&cfg.PresencePenalty, "presence-penalty", cfg.PresencePenalty, "subtract from the log-probability of every token seen in the window")
	fs.Float64Var(&cfg.FrequencyPenalty, "frequency-penalty", cfg.FrequencyPenalty, "subtract per occurrence in the window")
	fs.IntVar(&cfg.PenaltyWindow, "penalty-window", cfg.PenaltyWindow, "recent tokens (prompt included) the repetition, presence and frequency penalties see; 0 = all")
	fs.IntVar(&cfg.NoRepeatNGram, "no-repeat-ngram", cfg.NoRepeatNGram, "never repeat an `N`-gram (0 = off)")
	fs.Var(&biases, "logit-bias", "add `TOKEN=BIAS` to a token's log-probability (TOKEN: id or name such as '</s>'; BIAS: number or -inf; repeatable)")
	fs.Float64Var(&cfg.DRYMultiplier, "dry-multiplier", cfg.DRYMultiplier, "DRY repetition penalty strength (0 = off; typical 0.8)")
	fs.Float64Var(&cfg.DRYBase, "dry-base", cfg.DRYBase, "DRY's base")
	fs.IntVar(&cfg.DRYAllowedLength, "dry-allowed-length", cfg.DRYAllowedLength, "DRY's allowed repeat length")
	fs.IntVar(&cfg.DRYWindow, "dry-window", cfg.DRYWindow, "recent tokens DRY searches for repeats (0 = all)")
	fs.Float64Var(&cfg.XTCProbability, "xtc-probability", cfg.XTCProbability, "XTC: chance per step of excluding the top choices (0 = off)")
	fs.Float64Var(&cfg.XTCThreshold, "xtc-threshold", cfg.XTCThreshold, "XTC's probability threshold")
	fs.Float64Var(&cfg.MirostatTau, "mirostat-tau", cfg.MirostatTau, "Mirostat 2.0 target surprise in bits (0 = off; typical 5)")
	fs.Float64Var(&cfg.MirostatEta, "mirostat-eta", cfg.MirostatEta, "Mirostat learning rate")
	fs.StringVar(&cfg.Order, "sampler-order", cfg.Order, "processor order: hf (temperature first), llama (temperature last; the default) or a comma-separated list of names")
	fs.IntVar(&cfg.Beams, "beams", cfg.Beams, "beam search width `N` (0 or 1 = sample)")
	fs.Float64Var(&cfg.LengthPenalty, "length-penalty", cfg.LengthPenalty, "beam and rerank score = log P / length^α")
	fs.BoolVar(&cfg.EarlyStopping, "early-stopping", cfg.EarlyStopping, "stop a beam search once --beams hypotheses have ended")
	fs.IntVar(&cfg.NumReturn, "num-return", cfg.NumReturn, "sequences to return")
	fs.IntVar(&cfg.Rerank, "rerank", cfg.Rerank, "draw `N` samples and return them best first by model log-probability (0 = off)")
	fs.Var(&stops, "stop", "stop before this `STR`ing (Go escapes such as '\\n\\n'; repeatable; never printed)")
	fs.DurationVar(&cfg.MaxTime, "max-time", cfg.MaxTime, "wall-clock budget per sequence, e.g. 10s (0 = none)")
	fs.StringVar(&cfg.Control, "control", cfg.Control, "condition on the control code `TAG` the model was trained with")
	fs.BoolVar(&cfg.IgnoreEOS, "ignore-eos", cfg.IgnoreEOS, "never end at the end-of-sequence token: fixed-length output")
	fs.BoolVar(&cfg.SampleSpecials, "sample-specials", cfg.SampleSpecials, "allow <s> and control codes to be generated")
	fs.Float64Var(&cfg.CFGScale, "cfg-scale", cfg.CFGScale, "classifier-free guidance scale `G`: sample from log-softmax(ln + G·(lp − ln)), lp the model's and ln the negative branch's log-probabilities (Sanchez et al. 2023; 1 = off, > 1 steers away from the negative branch; not with --beams)")
	fs.StringVar(&cfg.CFGNegativeControl, "cfg-negative-control", cfg.CFGNegativeControl, "the negative branch's control code `TAG` in place of --control (default: no control code)")
	var lf latentSampleFlags
	lf.register(fs)
	var negPrompt *string
	fs.Func("cfg-negative-prompt", "the negative branch's prompt `TEXT` in place of --prompt (default: the prompt)", func(s string) error {
		negPrompt = &s
		return nil
	})
	var img imageFlags
	fs.IntVar(&img.count, "count", 16, "images: how many to draw (per class for a class-conditional model without --control), or how many --prompt-image images to complete")
	fs.StringVar(&img.promptImage, "prompt-image", "", "images: complete the images of this `PATH` (an image file, an IDX file or a folder) from their top --rows rows, each beside its original")
	fs.IntVar(&img.rows, "rows", 0, "images: the rows of each --prompt-image image given to the model")
	fs.IntVar(&img.columns, "grid-columns", 0, "images: images per grid row (0: a square grid, a row per class, or an original and its completion)")
	var af audioFlags
	fs.Float64Var(&af.seconds, "seconds", 3, "sound: generate `S` seconds at the model's sample rate")
	outPath := fs.String("out", "", "images: write the grid to this PNG `FILE`, or the images themselves to an IDX file named PREFIX-images-idx3-ubyte (with PREFIX-labels-idx1-ubyte for their classes); sound: write the generated samples to this WAV FILE")
	fs.StringVar(&af.plot, "plot", "", "sound: draw the spectrogram of the generated sound beside a real clip's to this PNG `FILE`")
	fs.StringVar(&af.reference, "reference", "", "sound: the real clip (a WAV `FILE`, or the first of a directory) for --plot (default: the first file the model was trained on)")
	args, err := parseArgs(fs, args, stdout)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return usagef("unexpected arguments %q (quote the --prompt)", args)
	}
	fs.Visit(func(fl *flag.Flag) { lf.temperatureSet = lf.temperatureSet || fl.Name == "temperature" })
	img.out, af.out = *outPath, *outPath
	f, err := loadModel(*model)
	if err != nil {
		return err
	}
	if pix, ok := f.Tokenizer.(*tokenize.Pixels); ok {
		return sampleImages(ctx, stdout, stderr, f, pix, cfg, img)
	}
	if snd, ok := f.Tokenizer.(tokenize.Sound); ok {
		return sampleAudio(ctx, stdout, stderr, f, snd, cfg, af)
	}
	m, err := cond.model(stderr, f, *model)
	if err != nil {
		return err
	}
	tok := f.Tokenizer
	if cfg.LogitBias, err = decode.ParseLogitBiases(biases, tok.Lookup); err != nil {
		return usagef("%v", err)
	}
	for _, s := range stops {
		s, err := decode.ParseStop(s)
		if err != nil {
			return usagef("%v", err)
		}
		cfg.Stop = append(cfg.Stop, s)
	}
	if cfg.DRYMultiplier > 0 {
		cfg.DRYBreakers = decode.BreakerTokens(tok, tok.Vocab(), decode.DefaultBreakers)
	}
	// The prompts: <s> and the text's tokens (an empty negative
	// prompt leaves <s> alone).
	v := f.Model.Vocab()
	encode := func(flag, what, text string) ([]autoreg.Token, error) {
		ids, err := tokenize.Encode(tok, text)
		if err != nil {
			if ie := (*tokenize.InputError)(nil); errors.As(err, &ie) {
				err = ie // named by the flag, not the package
			}
			return nil, fmt.Errorf("--%s: %v", flag, err)
		}
		if n := countToken(ids, v.UNK()); n > 0 {
			fmt.Fprintf(stderr, "warning: the %s has %d token(s) unknown to the model\n", what, n)
		}
		return append([]autoreg.Token{v.BOS()}, ids...), nil
	}
	if negPrompt != nil {
		if cfg.CFGNegativePrompt, err = encode("cfg-negative-prompt", "negative prompt", *negPrompt); err != nil {
			return err
		}
	}
	if err := cfg.Validate(); err != nil {
		return usagef("%v", err)
	}
	if err := cfg.CheckVocab(v); err != nil {
		return usagef("%v", err)
	}
	ids, err := encode("prompt", "prompt", *prompt)
	if err != nil {
		return err
	}
	if m, ids, err = cond.infill(stderr, f, m, ids, cfg.MaxTokens); err != nil {
		return err
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	start := time.Now()
	var generated int
	if lm, ok := m.(autoreg.Latent); ok {
		generated, err = sampleLatent(ctx, out, stderr, lm, tok, ids, cfg, *prompt, lf)
	} else {
		if lf.used() {
			return usagef("--reconstruct, --interpolate and --latent-from need a model with a latent code (--arch vae)")
		}
		generated, err = generate(ctx, out, stderr, m, tok, ids, cfg, *prompt, cond.suffix)
	}
	if err != nil {
		return err
	}
	if *stats {
		el := time.Since(start).Seconds()
		json.NewEncoder(stderr).Encode(map[string]any{"tokens": generated, "seconds": el, "tokens_per_sec": float64(generated) / el})
	}
	return nil
}

// generate prints the prompt and what the decoder makes of it under cfg
// (streamed as produced when sampling one sequence at a time), and
// returns the number of tokens generated. suffix (an infilling model's
// right side) follows each generated middle.
func generate(ctx context.Context, out *bufio.Writer, stderr io.Writer, m autoreg.Model, tok tokenize.Tokenizer, ids []autoreg.Token, cfg decode.Config, prompt, suffix string) (int, error) {
	out.WriteString(prompt)
	out.Flush()
	generated := 0
	streamed := cfg.Beams <= 1 && cfg.Rerank <= 1
	lead := prompt == "" // drop the word tokenizer's leading space
	results, err := decode.Run(ctx, m, ids, cfg, tok, func(c decode.Chunk) error {
		if !c.Final {
			generated++
		}
		if !streamed {
			return nil
		}
		text := c.Text
		if lead && len(text) > 0 {
			if text[0] == ' ' {
				text = text[1:]
			}
			lead = false
		}
		out.Write(text)
		if c.Final {
			out.WriteString(suffix + "\n")
			if cfg.NumReturn > 1 {
				out.WriteString("\n")
				lead = prompt == ""
				out.WriteString(prompt)
			}
		}
		return out.Flush()
	})
	if err != nil {
		return generated, err
	}
	if !streamed {
		generated = 0
		for _, r := range results {
			generated += len(r.Tokens)
		}
		for i, r := range results {
			if i > 0 {
				out.WriteString("\n" + prompt)
			}
			fmt.Fprintf(stderr, "[%d] score %.4f, log-probability %.4f nats, %d tokens, stopped by %s\n", i+1, r.Score, r.LogProb, len(r.Tokens), r.Stop)
			text := r.Text
			if prompt == "" && len(text) > 0 && text[0] == ' ' {
				text = text[1:]
			}
			out.Write(text)
			out.WriteString(suffix + "\n")
			out.Flush()
		}
	}
	return generated, nil
}

// countToken counts the occurrences of x in ids.
func countToken(ids []autoreg.Token, x autoreg.Token) int {
	n := 0
	for _, id := range ids {
		if id == x {
			n++
		}
	}
	return n
}
