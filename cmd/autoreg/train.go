package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// trainFlags holds every flag of `autoreg train`; each architecture reads
// the ones it uses (one name per concept across all commands).
type trainFlags struct {
	corpus corpusFlags
	valid  stringList
	arch   string
	out    string
	tok    string
	seed   uint64

	controlFrom string

	// Vocabulary.
	vocabSize     int
	vocabMinCount int64

	// n-gram.
	order            int
	prune            string
	discountFallback string

	// Neural.
	layers     int
	dim        int
	embed      int
	heads      int
	context    int
	batch      int
	lr         float64
	dropout    float64
	smoothing  float64
	steps      int
	maxTime    time.Duration
	resume     bool
	logPath    string
	warmup     int
	accum      int
	evalEvery  int
	evalTokens int
	clip       float64
	weightDec  float64
	beta2      float64
	validSplit float64
	sentences  bool

	// VAE.
	latent      int
	klAnneal    string
	freeBits    float64
	wordDropout float64

	// Encoder-decoder (train_seq2seq.go) and fill-in-the-middle (fim.go).
	s2s s2sFlags
	fim fimFlags
	// Images (train_images.go).
	levels   int
	binarize string
	kernel   int
	maps     int
	// WaveNet.
	stacks int
	skip   int
	// Against exposure bias (train_exposure.go).
	exposure exposureFlags
}

func init() {
	register(&command{
		name:    "train",
		summary: "Train a model on text (n-gram with modified Kneser-Ney, or neural: LSTM, GRU, GPT, a sentence VAE), an encoder-decoder (seq2seq) on tab-separated pairs, on images (--tokenizer pixels: neural or a gated PixelCNN), on CSV series (AR, or a neural network with a distribution head: see --column) or on sound (WAV files, --tokenizer mulaw or g711u: neural, or a WaveNet).",
		usage:   "--arch ngram|lstm|gru|gpt|vae|pixelcnn|wavenet|seq2seq --data PATH... --out FILE [flags]",
		run:     runTrain,
	})
}

// neuralDefaults are the defaults of the neural training flags, which
// differ between text and series.
type neuralDefaults struct {
	layers, dim, context, batch, steps int
	lr, weightDecay                    float64
}

// registerNeural registers the flags every neural training run has;
// prefix starts their help ("neural: " where other architectures share the
// flag set), contextHelp describes --context.
func (f *trainFlags) registerNeural(fs *flag.FlagSet, d neuralDefaults, prefix, contextHelp string) {
	fs.IntVar(&f.layers, "layers", d.layers, prefix+"number of layers")
	fs.IntVar(&f.dim, "dim", d.dim, prefix+"model width (hidden size)")
	fs.IntVar(&f.heads, "heads", 4, "gpt: attention heads")
	fs.IntVar(&f.context, "context", d.context, prefix+contextHelp)
	fs.IntVar(&f.batch, "batch", d.batch, prefix+"sequences per batch")
	fs.Float64Var(&f.lr, "lr", d.lr, prefix+"peak learning rate")
	fs.Float64Var(&f.dropout, "dropout", 0, prefix+"dropout probability")
	fs.Float64Var(&f.smoothing, "label-smoothing", 0, "gpt, seq2seq: train on targets smoothed by this `ε` (Szegedy et al. 2016: 1−ε on the true token, ε spread over the vocabulary); logged losses stay plain NLL")
	fs.IntVar(&f.steps, "steps", d.steps, prefix+"optimizer steps; the learning-rate schedule spans them")
	fs.DurationVar(&f.maxTime, "max-time", 0, prefix+"stop early after this long, e.g. `30m` (the schedule still follows --steps)")
	fs.BoolVar(&f.resume, "resume", false, prefix+"continue the checkpoint at --out (its settings; its data unless --data is given)")
	fs.StringVar(&f.logPath, "log", "", prefix+"write one JSON object per step to this `FILE`")
	fs.IntVar(&f.warmup, "warmup", -1, prefix+"warmup steps (-1 = 5% of --steps)")
	fs.IntVar(&f.accum, "accum", 1, prefix+"gradient accumulation: batches per optimizer step")
	fs.IntVar(&f.evalEvery, "eval-every", 0, prefix+"validate every `N` steps (0 = 20 times per run)")
	fs.Float64Var(&f.clip, "clip", 1, prefix+"clip the global gradient norm to this value (0 = off)")
	fs.Float64Var(&f.weightDec, "weight-decay", d.weightDecay, prefix+"AdamW decoupled weight decay on matrices")
	fs.Float64Var(&f.beta2, "beta2", 0.95, prefix+"AdamW β₂ (0.95 as GPT-2/nanoGPT; 0.999 suits rare words' sparse gradients)")
	f.exposure.register(fs, prefix)
}

// runTrain is `autoreg train`.
func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if flagValue(args, "arch") == "ar" {
		return runTrainAR(ctx, args, stdout, stderr)
	}
	if isRealTraining(args) {
		return runTrainReal(ctx, args, stdout, stderr)
	}
	fs := newFlagSet("train")
	f := &trainFlags{}
	f.corpus.register(fs, "training text")
	fs.StringVar(&f.corpus.mode, "mode", "stream", "how text is cut into sequences: `stream` (each file is a sequence) or lines (each line is a sentence, as KenLM)")
	fs.Var(&f.valid, "valid", "validation text, reported alongside training (repeatable)")
	fs.StringVar(&f.arch, "arch", "ngram", "model architecture: `ngram`, lstm, gru, gpt, vae (a sentence VAE: LSTM encoder and decoder, with --mode lines), pixelcnn (images), wavenet (sound) or seq2seq (an encoder-decoder on source<TAB>target lines)")
	fs.StringVar(&f.out, "out", "", "where to write the model `FILE` (required)")
	fs.StringVar(&f.tok, "tokenizer", "char", "tokenizer: byte, `char`, word, pixels (--data holds PNG, PGM, PPM or IDX images, each sample a token), or for sound (--data holds WAV files, each a sequence) mulaw (WaveNet's μ-law companding of the samples; the default of --arch wavenet) or g711u (the bytes of G.711 μ-law files)")
	fs.StringVar(&f.controlFrom, "control-from", "", "tag each training example with a control code: parent-dir (its directory's name), line-prefix (a 'TAG:' line prefix), glob:PATTERN=TAG,... (first matching file name), or for images labels (the IDX label file beside the images)")
	fs.IntVar(&f.levels, "levels", 256, "pixels: intensity levels `K` per sample, 2 to 256 (2 for binarized images)")
	fs.StringVar(&f.binarize, "binarize", "threshold", "pixels with --levels 2: threshold (v ≥ half the maximum) or stochastic (1 with probability v/max, drawn anew every epoch from --seed)")
	fs.IntVar(&f.kernel, "kernel", 3, "pixelcnn: kernel size of the gated layers after the first (odd; the first is 7)")
	fs.IntVar(&f.maps, "maps", 0, "pixelcnn: learned spatial maps per class (or of all images, without classes) read by every gate: where in the image and where the class's strokes lie (0: none)")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed: the same seed gives the same model")
	fs.IntVar(&f.vocabSize, "vocab-size", 0, "word tokenizer: keep at most `N` most frequent words (0 = all)")
	fs.Int64Var(&f.vocabMinCount, "vocab-min-count", 1, "word tokenizer: keep words seen at least `N` times")
	fs.IntVar(&f.order, "order", 5, "n-gram order `N` (1 = unigram baseline)")
	fs.StringVar(&f.prune, "prune", "", "n-gram count pruning thresholds per order, e.g. `0,0,1` (as KenLM's --prune)")
	fs.StringVar(&f.discountFallback, "discount-fallback", "0.5,1,1.5", "n-gram discounts `D1,D2,D3+` used when an estimate is out of range")
	f.registerNeural(fs, neuralDefaults{layers: 4, dim: 256, context: 128, batch: 16, lr: 1e-3, steps: 1000, weightDecay: 0.1},
		"neural: ", "context length in tokens (GPT window, RNN truncated BPTT length)")
	fs.IntVar(&f.embed, "embed", 0, "neural: embedding width (0 = --dim)")
	fs.IntVar(&f.evalTokens, "eval-tokens", 0, "neural: validation tokens per evaluation (0 = all)")
	fs.IntVar(&f.stacks, "stacks", 2, "wavenet: stacks of --layers dilated layers (dilations 1, 2, …, 2^(layers−1) in each)")
	fs.IntVar(&f.skip, "skip", 0, "wavenet: skip-connection and output channels (0 = 4·--dim; --dim is the residual and gate channels)")
	fs.Float64Var(&f.validSplit, "valid-split", 0, "neural: hold out this `FRACTION` of the end of the training text for validation, e.g. 0.1 (tiny Shakespeare's standard split)")
	fs.BoolVar(&f.sentences, "sentences", false, "neural: train on whole sequences (the lines of --mode lines), one per batch row from a zero state; --context must hold the longest (always on for vae)")
	fs.IntVar(&f.latent, "latent", 32, "vae: dimension `D` of the latent code")
	fs.StringVar(&f.klAnneal, "kl-anneal", "none", "vae: schedule of the KL term's weight β: none, linear:`STEPS` (0 to 1 over STEPS steps; Bowman et al. 2016) or cyclical:M[:R] (M cycles over the run, β rising over the first R of each, default 0.5; Fu et al. 2019)")
	fs.Float64Var(&f.freeBits, "free-bits", 0, "vae: free bits `λ`, nats per latent dimension: a dimension whose KL (batch mean) is below λ is not pulled towards the prior (Kingma et al. 2016; 0 = off)")
	fs.Float64Var(&f.wordDropout, "word-dropout", 0, "vae: replace each decoder input token by <unk> with this probability in training (Bowman et al. 2016)")
	f.s2s.register(fs)
	f.fim.register(fs)
	args, err := parseArgs(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := checkOut("--out", f.out); err != nil {
		return err
	}
	if f.resume {
		// The checkpoint knows its architecture.
		if isSeq2seqCheckpoint(f.out) {
			return trainSeq2seq(ctx, stderr, f, args)
		}
		return trainNeural(ctx, stderr, f, args)
	}
	if f.exposure.init != "" && (f.arch != "seq2seq" || f.resume) {
		return usagef("--init: fine-tuning starts a new run of an encoder-decoder (--arch seq2seq) or of a series model (a gpt-real, lstm-real or gru-real file)")
	}
	if f.arch == "wavenet" && !flagSet(fs, "tokenizer") {
		f.tok = "mulaw"
	}
	switch f.arch {
	case "ngram":
		return trainNgram(ctx, stderr, f, args)
	case "lstm", "gru", "gpt", "vae", "pixelcnn", "wavenet":
		return trainNeural(ctx, stderr, f, args)
	case "seq2seq":
		return trainSeq2seq(ctx, stderr, f, args)
	}
	return usagef("--arch %q: want ngram, lstm, gru, gpt, vae, pixelcnn, wavenet or seq2seq", f.arch)
}

// parseFloats parses a comma-separated list such as "0.5,1,1.5".
func parseFloats(s string) ([]float64, error) {
	var out []float64
	for _, p := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", p)
		}
		out = append(out, v)
	}
	return out, nil
}

// parseCounts parses a comma-separated list of non-negative integers.
func parseCounts(s string) ([]uint64, error) {
	var out []uint64
	for _, p := range strings.Split(s, ",") {
		v, err := strconv.ParseUint(strings.TrimSpace(p), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a count", p)
		}
		out = append(out, v)
	}
	return out, nil
}
