package eval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/dist"
	"github.com/autoreg/autoreg/tokenize"
)

// The measures of a latent-variable model (autoreg.Latent: a VAE), whose
// likelihood P(x) = ∫ p(z) p(x | z) dz has no closed form. For each
// sequence x (its tokens after <s>, </s> included) with posterior
// q(z | x) = N(μ, diag σ²) and K codes z_k = μ + σ⊙ε_k drawn from it:
//
//	ELBO(x) = (1/K) Σ_k ln p(x | z_k) − KL(q ‖ p)          (KL in closed form)
//	IW_K(x) = ln (1/K) Σ_k p(x | z_k) p(z_k) / q(z_k | x)  (Burda et al. 2016)
//
// Both bound ln P(x) from below; IW_K tightens with K and reaches it as
// K → ∞, so −IW_K is the fair figure to compare with a language model's
// NLL. Reported per token (over the same tokens eval.Run scores) as nats
// and perplexity. Besides them, what the code carries:
//
//   - active units (Burda et al.): dimensions d whose posterior mean varies
//     across the sequences, Cov_x(μ_d(x)) > 0.01;
//   - the mutual information between x and z under the aggregate
//     posterior q(z) = (1/N) Σ_n q(z | x_n), estimated as He et al. 2019
//     do, I = (1/N) Σ_n [ln q(z_n | x_n) − ln q(z_n)] with z_n one draw from
//     q(z | x_n), its entropy term in closed form and q(z_n) the mixture
//     over the evaluated sequences (at most MISequences of them, evenly
//     spread; He et al. take the mixture over a batch). It is at most
//     ln N.
//   - optionally (LatentOptions.Reconstruct), the token accuracy of
//     greedy decoding from the posterior mean, position by position against
//     the sequence, beside that of greedy decoding from a code drawn from
//     the prior: how much of the sequence the code brings back. (Greedy
//     decoding never emits <s> or a control code, as samplers do not.)

// LatentOptions configures RunLatent. The zero value draws one code per
// sequence.
type LatentOptions struct {
	// Mode and Control cut the text into sequences as in training.
	Mode    corpus.Mode
	Control corpus.Control
	// IWSamples is K, the codes drawn per sequence (0 means 1).
	IWSamples int
	// Seed draws the codes: sequence n's from the seed and n alone.
	Seed uint64
	// MISequences caps the sequences of the mutual information's aggregate
	// posterior (0 means 10 000; the estimate costs N² D).
	MISequences int
	// Reconstruct also measures the greedy reconstructions' token
	// accuracy (two greedy decodes per sequence).
	Reconstruct bool
	// Progress, if not nil, receives the bytes read so far.
	Progress corpus.Progress
}

// LatentResult is what RunLatent measured.
type LatentResult struct {
	Tokens    int64 // scored tokens, </s> included, <s> excluded
	OOV       int64 // scored tokens that were <unk>
	Sequences int64
	Chars     int64 // Unicode characters of the text read
	Bytes     int64
	Files     int
	K         int // codes per sequence
	// NLLELBO and NLLIW are −Σ ELBO(x) and −Σ IW_K(x) over the sequences,
	// in nats: upper bounds of the corpus's negative log-likelihood.
	NLLELBO, NLLIW float64
	// Rec is Σ (1/K) Σ_k −ln p(x | z_k), the ELBO's reconstruction term,
	// and KL Σ KL(q(z | x) ‖ p(z)), in nats.
	Rec, KL float64
	// UnitVar is each dimension's variance of the posterior mean across
	// the sequences; ActiveUnits counts those above ActiveThreshold.
	UnitVar     []float64
	ActiveUnits int
	// MI is the mutual information I(x; z) in nats, over MISequences
	// sequences.
	MI          float64
	MISequences int
	// RecAcc and PriorAcc are the greedy reconstructions' token accuracy
	// from the posterior mean and from a prior draw (with
	// LatentOptions.Reconstruct; NaN otherwise).
	RecAcc, PriorAcc float64
}

// ActiveThreshold is the variance of the posterior mean above which a
// latent dimension counts as active (Burda et al. 2016).
const ActiveThreshold = 0.01

// PPLELBO and PPLIW are the perplexities of the bounds.
func (r LatentResult) PPLELBO() float64 { return math.Exp(r.NLLELBO / float64(r.Tokens)) }

// PPLIW is the perplexity of the importance-weighted bound.
func (r LatentResult) PPLIW() float64 { return math.Exp(r.NLLIW / float64(r.Tokens)) }

// JSON returns the figures under the keys of `autoreg eval --json`.
func (r LatentResult) JSON() map[string]any {
	per := func(x float64) float64 { return x / float64(r.Tokens) }
	seq := func(x float64) float64 { return x / float64(r.Sequences) }
	out := map[string]any{
		"tokens": r.Tokens, "oov": r.OOV, "sequences": r.Sequences, "chars": r.Chars, "bytes": r.Bytes,
		"iw_samples": r.K, "nll_iw_nats": r.NLLIW, "nll_elbo_nats": r.NLLELBO,
		"iw_nats_per_token": per(r.NLLIW), "elbo_nats_per_token": per(r.NLLELBO),
		"ppl_iw": r.PPLIW(), "ppl_elbo": r.PPLELBO(),
		"rec_nats_per_token": per(r.Rec), "kl_nats_per_token": per(r.KL), "kl_nats_per_sequence": seq(r.KL),
		"active_units": r.ActiveUnits, "latent_dim": len(r.UnitVar), "unit_variances": r.UnitVar,
		"mutual_info_nats": r.MI, "mi_sequences": r.MISequences,
	}
	if !math.IsNaN(r.RecAcc) {
		out["reconstruction_accuracy"], out["prior_accuracy"] = r.RecAcc, r.PriorAcc
	}
	return out
}

// seqPosterior is what the MI estimate keeps of a sequence.
type seqPosterior struct {
	mean, logVar, z []float64
}

// RunLatent measures a latent-variable model on the documents (see
// above). Errors name the document; a cancelled ctx stops the pass.
func RunLatent(ctx context.Context, m autoreg.Latent, tok tokenize.Tokenizer, docs []corpus.Doc, opts LatentOptions) (LatentResult, error) {
	K := max(opts.IWSamples, 1)
	capMI := opts.MISequences
	if capMI <= 0 {
		capMI = 10000
	}
	D := m.LatentDim()
	v := m.Vocab()
	res := LatentResult{K: K, UnitVar: make([]float64, D), RecAcc: math.NaN(), PriorAcc: math.NaN()}
	var (
		seq                 []autoreg.Token
		inSeq               bool
		meanSum             = make([]float64, D)
		meanSq              = make([]float64, D)
		post                []seqPosterior
		zs                  = make([][]float64, K)
		ll, lw              = make([]float64, K), make([]float64, K)
		mean, logVar        = make([]float64, D), make([]float64, D)
		recHit, prHit, accN int64
		failed              error
	)
	for k := range zs {
		zs[k] = make([]float64, D)
	}
	finish := func() {
		if !inSeq || failed != nil {
			return
		}
		n := res.Sequences
		res.Sequences++
		inSeq = false
		if err := m.Posterior(seq, mean, logVar); err != nil {
			failed = err
			return
		}
		var kl float64
		for d := range D {
			kl += 0.5 * (mean[d]*mean[d] + math.Exp(logVar[d]) - 1 - logVar[d])
			meanSum[d] += mean[d]
			meanSq[d] += mean[d] * mean[d]
		}
		rng := rand.New(rand.NewPCG(opts.Seed, uint64(n)))
		for k := range K {
			for d := range D {
				zs[k][d] = mean[d] + math.Exp(0.5*logVar[d])*rng.NormFloat64()
			}
		}
		if err := autoreg.ScoreLatents(m, seq, zs, ll); err != nil {
			failed = err
			return
		}
		var rec float64
		for k := range K {
			rec -= ll[k]
			lw[k] = ll[k] + logNormal(zs[k], nil, nil) - logNormal(zs[k], mean, logVar)
		}
		rec /= float64(K)
		res.Rec += rec
		res.KL += kl
		res.NLLELBO += rec + kl
		res.NLLIW -= dist.LogSumExp(lw) - math.Log(float64(K))
		post = append(post, seqPosterior{mean: append([]float64(nil), mean...), logVar: append([]float64(nil), logVar...),
			z: append([]float64(nil), zs[0]...)})
		if opts.Reconstruct {
			hit, err := greedyHits(m, mean, seq)
			if err != nil {
				failed = err
				return
			}
			prior := make([]float64, D)
			for d := range prior {
				prior[d] = rng.NormFloat64()
			}
			phit, err := greedyHits(m, prior, seq)
			if err != nil {
				failed = err
				return
			}
			recHit, prHit, accN = recHit+int64(hit), prHit+int64(phit), accN+int64(len(seq))
		}
	}
	bos, unk := v.BOS(), v.UNK()
	st, err := corpus.Tokens(ctx, docs, tok, corpus.TokenOptions{Mode: opts.Mode, Control: opts.Control, Progress: opts.Progress}, func(chunk []autoreg.Token) error {
		for _, x := range chunk {
			if x == bos {
				finish()
				seq, inSeq = seq[:0], true
				continue
			}
			if !inSeq {
				seq, inSeq = seq[:0], true
			}
			seq = append(seq, x)
			res.Tokens++
			if x == unk {
				res.OOV++
			}
		}
		if failed != nil {
			return failed
		}
		return ctx.Err()
	})
	if err == nil {
		finish()
		err = failed
	}
	res.Chars, res.Bytes, res.Files = st.Chars, st.Bytes, st.Files
	if err != nil {
		return res, err
	}
	if res.Sequences == 0 {
		return res, errors.New("eval: no sequences to score")
	}
	N := float64(res.Sequences)
	for d := range D {
		mu := meanSum[d] / N
		res.UnitVar[d] = max(0, meanSq[d]/N-mu*mu)
		if res.UnitVar[d] > ActiveThreshold {
			res.ActiveUnits++
		}
	}
	res.MI, res.MISequences = mutualInfo(post, capMI)
	if accN > 0 {
		res.RecAcc, res.PriorAcc = float64(recHit)/float64(accN), float64(prHit)/float64(accN)
	}
	return res, nil
}

// logNormal returns ln N(z; mean, diag exp(logVar)), the standard normal
// when mean is nil.
func logNormal(z, mean, logVar []float64) float64 {
	s := -0.5 * float64(len(z)) * math.Log(2*math.Pi)
	for d, x := range z {
		if mean == nil {
			s -= 0.5 * x * x
			continue
		}
		dx := x - mean[d]
		s -= 0.5 * (dx*dx*math.Exp(-logVar[d]) + logVar[d])
	}
	return s
}

// mutualInfo is He et al.'s estimate over at most limit of the sequences
// (evenly spread), and the number used.
func mutualInfo(post []seqPosterior, limit int) (float64, int) {
	if len(post) > limit {
		sub := make([]seqPosterior, limit)
		for i := range sub {
			sub[i] = post[i*len(post)/limit]
		}
		post = sub
	}
	N := len(post)
	if N == 0 {
		return math.NaN(), 0
	}
	lq := make([]float64, N)
	var mi float64
	for _, p := range post {
		// ln q(z_n | x_n) in expectation is −H(q): closed form.
		negH := -0.5 * float64(len(p.mean)) * math.Log(2*math.Pi)
		for _, l := range p.logVar {
			negH -= 0.5 * (1 + l)
		}
		for m, o := range post {
			lq[m] = logNormal(p.z, o.mean, o.logVar)
		}
		mi += negH - (dist.LogSumExp(lq) - math.Log(float64(N)))
	}
	return mi / float64(N), N
}

// greedyHits decodes greedily from the model given z, after <s>, for at
// most len(seq)+1 tokens or until </s>, and counts the positions where the
// decode equals seq.
func greedyHits(m autoreg.Latent, z []float64, seq []autoreg.Token) (int, error) {
	g, err := m.WithLatent(z)
	if err != nil {
		return 0, fmt.Errorf("eval: %w", err)
	}
	v := g.Vocab()
	st := g.NewState()
	st.Append(v.BOS())
	lp := make([]float32, v.Size())
	hits := 0
	for _, want := range seq {
		st.LogProbs(lp)
		// The best token a sampler may emit: no <s>, no control code.
		x := autoreg.Token(-1)
		for i, p := range lp {
			t := autoreg.Token(i)
			if v.IsSpecial(t) && t != v.EOS() && t != v.UNK() {
				continue
			}
			if x < 0 || p > lp[x] {
				x = t
			}
		}
		if x == want {
			hits++
		}
		if x == v.EOS() {
			break
		}
		st.Append(x)
	}
	return hits, nil
}
