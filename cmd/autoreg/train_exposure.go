package main

import (
	"flag"

	"github.com/autoreg/autoreg/tokenize"
	"github.com/autoreg/autoreg/train"
)

// exposureFlags are the training flags against exposure bias (package
// train's scheduled sampling and input noise), shared by every neural
// architecture.
type exposureFlags struct {
	sampling  string
	noise     string
	objective string
	mrt       string
	init      string
}

func (e *exposureFlags) register(fs *flag.FlagSet, prefix string) {
	fs.StringVar(&e.sampling, "scheduled-sampling", "", prefix+"feed the model its own predictions as inputs with probability 1 − ε, ε decaying from 1: `SCHEDULE[,floor=F][,steps=N][,greedy]`, SCHEDULE linear, exp or sigmoid (Bengio et al. 2015; floor default 0, steps default --steps; greedy feeds the argmax or the mean instead of a sample). Recurrent models token by token, GPT, WaveNet, PixelCNN and seq2seq in two passes (Mihaylova and Martins 2019); not the VAE")
	fs.StringVar(&e.noise, "input-noise", "", prefix+"corrupt the inputs, targets clean: `replace=R,delete=D,insert=I` (token inputs: rates per token; images take replace only), shift=L (mulaw audio and pixels: move each input by round(L·z) levels, z normal) or jitter=S (series: Gaussian noise of S standard deviations); not the VAE")
	fs.StringVar(&e.objective, "objective", "mle", "training objective: `mle` (teacher forcing) or mrt (minimum risk training, Shen et al. 2016: seq2seq, the expected edit distance of sampled outputs; series, the CRPS of sampled forecast paths; fine-tune a trained model with --init)")
	fs.StringVar(&e.mrt, "mrt", "", "--objective mrt: `candidates=K,alpha=A,mle=W[,horizon=H]`: K samples per source or origin (8), sharpness α of their renormalized probabilities (1), weight W of the references' log-loss added (0); series: paths of H steps (half the context)")
	fs.StringVar(&e.init, "init", "", "seq2seq or series: start from the weights and configuration (tokenizers; head, lags and standardization) of this model `FILE` (fine-tuning; a new run)")
}

// set puts the flags' settings into o, for a model reading tokens of the
// tokenizer kind ("" for series, "seq2seq" for pairs).
func (e *exposureFlags) set(o train.Options, kind string) (train.Options, error) {
	var err error
	if e.sampling != "" {
		if o.ScheduledSampling, err = train.ParseSampling(e.sampling); err != nil {
			return o, usagef("--scheduled-sampling: %v", err)
		}
	}
	if e.noise != "" {
		if o.InputNoise, err = train.ParseNoise(e.noise); err != nil {
			return o, usagef("--input-noise: %v", err)
		}
		if o.InputNoise.Shift > 0 && kind != tokenize.KindMuLaw && kind != tokenize.KindPixels {
			what := "the " + kind + " tokenizer's tokens are"
			switch kind {
			case "":
				what = "series are real values (use jitter=)"
			case "seq2seq":
				what = "an encoder-decoder's tokens are"
			}
			return o, usagef("--input-noise shift=: %s not ordered levels; shift is for mulaw audio and pixels", what)
		}
	}
	switch e.objective {
	case "mle", "":
		if e.mrt != "" {
			return o, usagef("--mrt: give --objective mrt")
		}
	case "mrt":
		if o.MRT, err = train.ParseMRT(e.mrt); err != nil {
			return o, usagef("--mrt: %v", err)
		}
	default:
		return o, usagef("--objective %q: want mle or mrt", e.objective)
	}
	return o, nil
}

// given reports whether a flag was given (a resumed run keeps its
// checkpoint's settings and refuses new ones).
func (e *exposureFlags) given() bool {
	return e.sampling != "" || e.noise != "" || e.mrt != "" || e.init != "" || e.objective != "mle"
}

// record adds a run's settings to its META training record.
func exposureRecord(rec map[string]any, o train.Options) {
	if o.ScheduledSampling != nil {
		rec["scheduled_sampling"] = o.ScheduledSampling
	}
	if o.InputNoise != nil {
		rec["input_noise"] = o.InputNoise
	}
	if o.MRT != nil {
		rec["objective"], rec["mrt"] = "mrt", o.MRT
	}
}
