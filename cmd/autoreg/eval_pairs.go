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
	"github.com/autoreg/autoreg/decode"
	"github.com/autoreg/autoreg/eval"
	"github.com/autoreg/autoreg/modelfile"
)

// pairEvalFlags are the flags `autoreg eval` reads for an encoder-decoder.
type pairEvalFlags struct {
	decode  bool
	beams   int
	batch   int
	skipBad bool
}

func (p *pairEvalFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&p.decode, "decode", false, "encoder-decoders: also decode every source (beam search) and report the task metrics: error rate (exact match against any reference; word error rate for G2P), token error rate (edit distance; phoneme error rate) and chrF")
	fs.IntVar(&p.beams, "beams", 5, "with --decode: beam search width `N` (length penalty 1, early stopping, as transduce)")
	fs.IntVar(&p.batch, "batch", 64, "with --decode: sources decoded as one batch")
	fs.BoolVar(&p.skipBad, "skip-bad", false, "pair data: skip (and count) malformed lines and pairs longer than the model takes, instead of failing")
}

// evalPairs measures an encoder-decoder on tab-separated pairs: the
// targets' log-likelihood given their sources and, with --decode, the task
// metrics of the decoded outputs against every reference of each source.
func evalPairs(ctx context.Context, stdout, stderr io.Writer, f *modelfile.File, c autoreg.Conditional, docs []corpus.Doc, p *pairEvalFlags, asJSON bool) error {
	start := time.Now()
	texts, st, err := corpus.ReadPairs(ctx, docs, corpus.PairOptions{SkipBad: p.skipBad})
	if err != nil {
		return err
	}
	maxTgt := 0
	if w, ok := f.Model.(interface{ ContextLen() int }); ok {
		maxTgt = w.ContextLen() - 1
	}
	pairs, err := corpus.EncodePairs(texts, f.SourceTokenizer, f.Tokenizer, "pairs",
		corpus.PairOptions{SkipBad: p.skipBad, MaxSrc: c.MaxSourceLen(), MaxTgt: maxTgt}, &st)
	if err != nil {
		return err
	}
	if len(pairs) == 0 {
		return fmt.Errorf("no pairs to score in %s", docs[0].Path)
	}
	reportPairs(stderr, "evaluation", st)
	pr := newProgress(stderr, "scoring")
	res, err := eval.Pairs(ctx, c, pairs, func(done, total int64) { pr.bytes(done, total) })
	pr.done()
	if err != nil {
		return err
	}
	scored := time.Since(start)
	groups := eval.GroupPairs(pairs)
	out := map[string]any{"pairs": len(pairs), "sources": len(groups), "skipped": st.Skipped(),
		"tokens": res.Tokens, "oov": res.OOV, "nll_nats": res.NLL, "ppl": res.PPL(),
		"bits_per_token": res.BitsPerToken(), "seconds": scored.Seconds()}
	var task eval.TaskResult
	var decodeTime time.Duration
	if p.decode {
		t0 := time.Now()
		cfg := decode.DefaultConfig()
		cfg.Beams, cfg.NumReturn, cfg.EarlyStopping = max(p.beams, 1), 1, true
		cfg.MaxTokens = max(maxTgt, 1)
		tr, err := decode.NewTransducer(c, []autoreg.Token{f.Model.Vocab().BOS()}, cfg)
		if err != nil {
			return err
		}
		eos := f.Model.Vocab().EOS()
		pr := newProgress(stderr, "decoding")
		for lo := 0; lo < len(groups); lo += p.batch {
			chunk := groups[lo:min(lo+p.batch, len(groups))]
			srcs := make([][]autoreg.Token, len(chunk))
			for i, g := range chunk {
				srcs[i] = g.Src
			}
			rs, err := tr.Transduce(ctx, srcs, nil)
			if err != nil {
				pr.done()
				return err
			}
			for i, g := range chunk {
				hyp := rs[i][0].Tokens
				if len(hyp) > 0 && hyp[len(hyp)-1] == eos {
					hyp = hyp[:len(hyp)-1]
				}
				refTexts := make([]string, len(g.Tgts))
				for k, r := range g.Tgts {
					refTexts[k] = detokenize(f.Tokenizer, r)
				}
				task.Add(hyp, detokenize(f.Tokenizer, hyp), g.Tgts, refTexts)
			}
			pr.bytes(int64(lo+len(chunk)), int64(len(groups)))
		}
		pr.done()
		decodeTime = time.Since(t0)
		out["beams"] = cfg.Beams
		out["error_rate"] = task.ErrorRate()
		out["token_error_rate"] = task.TokenErrorRate()
		out["chrf"] = task.ChrF()
		out["decode_seconds"] = decodeTime.Seconds()
		out["sources_per_sec"] = float64(len(groups)) / decodeTime.Seconds()
	}
	if asJSON {
		return json.NewEncoder(stdout).Encode(out)
	}
	w := stdout
	fmt.Fprintf(w, "pairs       %s (%s distinct sources), %s lines skipped\n", thousands(int64(len(pairs))), thousands(int64(len(groups))), thousands(st.Skipped()))
	fmt.Fprintf(w, "tokens      %s scored (targets and their </s>), %s OOV\n", thousands(res.Tokens), thousands(res.OOV))
	fmt.Fprintf(w, "NLL         %.2f nats, %.4f per token\n", res.NLL, res.NLL/float64(res.Tokens))
	fmt.Fprintf(w, "perplexity  %.4f\n", res.PPL())
	fmt.Fprintf(w, "bits        %.4f per token\n", res.BitsPerToken())
	if p.decode {
		fmt.Fprintf(w, "decoding    beam %d, %s sources in %s (%.0f sources/s)\n", max(p.beams, 1), thousands(int64(len(groups))),
			decodeTime.Round(time.Millisecond), float64(len(groups))/decodeTime.Seconds())
		fmt.Fprintf(w, "error rate  %.2f%% (output matching no reference; word error rate for G2P)\n", 100*task.ErrorRate())
		fmt.Fprintf(w, "token error %.2f%% (edit distance to the closest reference; phoneme error rate for G2P)\n", 100*task.TokenErrorRate())
		fmt.Fprintf(w, "chrF        %.2f\n", task.ChrF())
	}
	return nil
}
