package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/decode"
	"github.com/autoreg/autoreg/tokenize"
)

// latentSampleFlags are sample's flags for a model with a latent code (a
// VAE).
type latentSampleFlags struct {
	reconstruct    string
	interpolate    string
	to             string
	steps          int
	latentFrom     string
	temperatureSet bool // --temperature was given
}

func (l *latentSampleFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.reconstruct, "reconstruct", "", "vae: encode `TEXT` (its posterior mean) and decode it (greedy unless --temperature or --beams is given)")
	fs.StringVar(&l.interpolate, "interpolate", "", "vae: decode points on the line from sentence `A`'s posterior mean to --to's (greedy unless --temperature or --beams is given; Bowman et al.'s homotopies)")
	fs.StringVar(&l.to, "to", "", "vae: the sentence `B` --interpolate ends at")
	fs.IntVar(&l.steps, "steps", 8, "vae: points `N` of --interpolate, both ends included")
	fs.StringVar(&l.latentFrom, "latent-from", "", "vae: generate given the posterior mean of `TEXT` (with --prompt and every sampler flag) instead of codes drawn from the prior")
}

// used reports whether a latent-only flag was given.
func (l *latentSampleFlags) used() bool {
	return l.reconstruct != "" || l.interpolate != "" || l.to != "" || l.latentFrom != ""
}

// sampleLatent is sample on a model with a latent code: by default each
// of --num-return sequences from its own code drawn from the prior (from
// --seed); or from the posterior means of the flags' sentences.
func sampleLatent(ctx context.Context, out *bufio.Writer, stderr io.Writer, m autoreg.Latent, tok tokenize.Tokenizer,
	ids []autoreg.Token, cfg decode.Config, prompt string, lf latentSampleFlags) (int, error) {
	v := m.Vocab()
	D := m.LatentDim()
	mean := func(flag, text string) ([]float64, error) {
		xs, err := tokenize.Encode(tok, text)
		if err != nil {
			return nil, fmt.Errorf("--%s: %v", flag, err)
		}
		if n := countToken(xs, v.UNK()); n > 0 {
			fmt.Fprintf(stderr, "warning: --%s has %d token(s) unknown to the model\n", flag, n)
		}
		mu, lv := make([]float64, D), make([]float64, D)
		if err := m.Posterior(append(xs, v.EOS()), mu, lv); err != nil {
			return nil, fmt.Errorf("--%s: %v", flag, err)
		}
		return mu, nil
	}
	modes := 0
	for _, s := range []string{lf.reconstruct, lf.interpolate, lf.latentFrom} {
		if s != "" {
			modes++
		}
	}
	if modes > 1 {
		return 0, usagef("--reconstruct, --interpolate and --latent-from exclude each other")
	}
	if (lf.interpolate == "") != (lf.to == "") {
		return 0, usagef("--interpolate A needs --to B, and --to needs --interpolate")
	}
	if (lf.reconstruct != "" || lf.interpolate != "") && prompt != "" {
		return 0, usagef("--reconstruct and --interpolate decode whole sentences: no --prompt (--latent-from takes one)")
	}
	// Reconstructions and interpolations decode greedily unless the
	// command line asks for sampling (--temperature) or a beam search.
	greedy := func() {
		if !lf.temperatureSet && cfg.Beams <= 1 {
			cfg.Temperature = 0
		}
	}
	var codes [][]float64
	switch {
	case lf.interpolate != "":
		if lf.steps < 2 {
			return 0, usagef("--steps %d: want at least 2 (the two ends)", lf.steps)
		}
		a, err := mean("interpolate", lf.interpolate)
		if err != nil {
			return 0, err
		}
		b, err := mean("to", lf.to)
		if err != nil {
			return 0, err
		}
		for i := range lf.steps {
			f := float64(i) / float64(lf.steps-1)
			z := make([]float64, D)
			for d := range z {
				z[d] = a[d] + f*(b[d]-a[d])
			}
			codes = append(codes, z)
		}
		greedy()
	case lf.reconstruct != "":
		z, err := mean("reconstruct", lf.reconstruct)
		if err != nil {
			return 0, err
		}
		codes = [][]float64{z}
		greedy()
	case lf.latentFrom != "":
		z, err := mean("latent-from", lf.latentFrom)
		if err != nil {
			return 0, err
		}
		codes = [][]float64{z}
	default:
		// Each sequence from its own code.
		rng := rand.New(rand.NewPCG(cfg.Seed, 0x7072696f72)) // "prior"
		for range max(cfg.NumReturn, 1) {
			z := make([]float64, D)
			for d := range z {
				z[d] = rng.NormFloat64()
			}
			codes = append(codes, z)
		}
		cfg.NumReturn = 1
	}
	if err := cfg.Validate(); err != nil {
		return 0, usagef("%v", err)
	}
	total := 0
	for i, z := range codes {
		g, err := m.WithLatent(z)
		if err != nil {
			return total, err
		}
		c := cfg
		c.Seed = cfg.Seed + uint64(i)
		if len(codes) > 1 && cfg.NumReturn > 1 {
			out.WriteString("\n")
		}
		n, err := generate(ctx, out, stderr, g, tok, ids, c, prompt, "")
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
