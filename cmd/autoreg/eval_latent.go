package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/eval"
	"github.com/autoreg/autoreg/tokenize"
)

// latentEvalFlags are eval's flags for a latent-variable model (a VAE);
// seed is eval's --seed, which images share.
type latentEvalFlags struct {
	iwSamples int
	seed      uint64
	recon     bool
}

func (l *latentEvalFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&l.iwSamples, "iw-samples", 100, "vae: codes `K` drawn from the posterior per sequence for the importance-weighted bound (Burda et al. 2016) and the ELBO")
	fs.BoolVar(&l.recon, "recon-accuracy", false, "vae: also measure the token accuracy of greedy reconstructions from the posterior mean, beside decodes from prior draws")
}

// evalLatent is eval on a latent-variable model: its likelihood bounds
// and what its code carries (eval.RunLatent).
func evalLatent(ctx context.Context, stdout io.Writer, pr *progress, m autoreg.Latent, tok tokenize.Tokenizer,
	docs []corpus.Doc, mode corpus.Mode, ctl corpus.Control, lf latentEvalFlags, asJSON bool) error {
	if lf.iwSamples < 1 {
		return usagef("--iw-samples %d: want at least 1", lf.iwSamples)
	}
	start := time.Now()
	res, err := eval.RunLatent(ctx, m, tok, docs, eval.LatentOptions{Mode: mode, Control: ctl, IWSamples: lf.iwSamples,
		Seed: lf.seed, Reconstruct: lf.recon, Progress: pr.bytes})
	pr.done()
	if err != nil {
		return err
	}
	el := time.Since(start)
	if asJSON {
		out := res.JSON()
		out["seconds"] = el.Seconds()
		out["mode"] = mode.String()
		return json.NewEncoder(stdout).Encode(out)
	}
	w := stdout
	T, N := float64(res.Tokens), float64(res.Sequences)
	fmt.Fprintf(w, "text        %d files, %s bytes, %s characters, %s sequences (%s mode)\n",
		res.Files, thousands(res.Bytes), thousands(res.Chars), thousands(res.Sequences), mode)
	fmt.Fprintf(w, "tokens      %s scored, %s OOV (%.2f%%)\n", thousands(res.Tokens), thousands(res.OOV), 100*float64(res.OOV)/T)
	fmt.Fprintf(w, "IW bound    %.4f nats/token, perplexity %.3f (K = %d codes per sequence)\n", res.NLLIW/T, res.PPLIW(), res.K)
	fmt.Fprintf(w, "ELBO        %.4f nats/token, perplexity %.3f: reconstruction %.4f + KL %.4f\n", res.NLLELBO/T, res.PPLELBO(), res.Rec/T, res.KL/T)
	fmt.Fprintf(w, "KL          %.3f nats per sequence\n", res.KL/N)
	fmt.Fprintf(w, "latent      %d of %d dimensions active (variance of the posterior mean > %g)\n", res.ActiveUnits, len(res.UnitVar), eval.ActiveThreshold)
	fmt.Fprintf(w, "MI          %.3f nats: I(x; z) under the aggregate posterior of %s sequences\n", res.MI, thousands(int64(res.MISequences)))
	if lf.recon {
		fmt.Fprintf(w, "accuracy    %.2f%% of tokens reconstructed from the posterior mean, %.2f%% from prior draws (greedy)\n", 100*res.RecAcc, 100*res.PriorAcc)
	}
	fmt.Fprintf(w, "speed       %.0f tokens/s\n", T/el.Seconds())
	return nil
}
