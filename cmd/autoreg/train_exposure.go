package main

import (
	"flag"

	"github.com/autoreg/autoreg/train"
)

// exposureFlags are the training flags against exposure bias (package
// train's scheduled sampling and input noise), shared by every neural
// architecture.
type exposureFlags struct {
	sampling string
	noise    string
}

func (e *exposureFlags) register(fs *flag.FlagSet, prefix string) {
	fs.StringVar(&e.sampling, "scheduled-sampling", "", prefix+"feed the model its own predictions as inputs with probability 1 − ε, ε decaying from 1: `SCHEDULE[,floor=F][,steps=N][,greedy]`, SCHEDULE linear, exp or sigmoid (Bengio et al. 2015; floor default 0, steps default --steps; greedy feeds the argmax or the mean instead of a sample). Recurrent models token by token, GPT and seq2seq in two passes (Mihaylova and Martins 2019)")
	fs.StringVar(&e.noise, "input-noise", "", prefix+"corrupt the inputs, targets clean: `replace=R,delete=D,insert=I` (token inputs: rates per token) or jitter=S (series: Gaussian noise of S standard deviations)")
}

// set puts the flags' settings into o.
func (e *exposureFlags) set(o train.Options) (train.Options, error) {
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
	}
	return o, nil
}

// given reports whether a flag was given (a resumed run keeps its
// checkpoint's settings and refuses new ones).
func (e *exposureFlags) given() bool { return e.sampling != "" || e.noise != "" }

// record adds a run's settings to its META training record.
func exposureRecord(rec map[string]any, o train.Options) {
	if o.ScheduledSampling != nil {
		rec["scheduled_sampling"] = o.ScheduledSampling
	}
	if o.InputNoise != nil {
		rec["input_noise"] = o.InputNoise
	}
}
