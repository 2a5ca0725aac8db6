package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/eval"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/tokenize"
)

// evalAudio is `autoreg eval` of a model of sound on WAV files: bits per
// sample of every file, or of its last --tail given the rest.
func evalAudio(ctx context.Context, stdout, stderr io.Writer, f *modelfile.File, tok tokenize.Sound, docs []corpus.Doc, tail float64, asJSON bool) error {
	ctl, err := corpus.ParseControl(f.Meta.Control)
	if err != nil {
		return err
	}
	start := time.Now()
	pr := newProgress(stderr, "scoring")
	res, err := eval.Audio(ctx, f.Model, tok, docs, eval.AudioOptions{Tail: tail, Control: ctl, Progress: pr.bytes})
	pr.done()
	if err != nil {
		return err
	}
	if res.Samples == 0 {
		return fmt.Errorf("no samples to score")
	}
	el := time.Since(start)
	if asJSON {
		out := res.JSON()
		out["elapsed"] = el.Seconds()
		out["tail"] = tail
		return json.NewEncoder(stdout).Encode(out)
	}
	what := "every sample"
	if tail > 0 && tail < 1 {
		what = fmt.Sprintf("the last %g of each file, after %s samples of context", tail, thousands(res.Context))
	}
	fmt.Fprintf(stdout, "audio       %d files of %s, %s scored (%s)\n", res.Files, tok.Audio(), seconds(res.Seconds), what)
	fmt.Fprintf(stdout, "samples     %s\n", thousands(res.Samples))
	fmt.Fprintf(stdout, "NLL         %.2f nats\n", res.NLL)
	fmt.Fprintf(stdout, "bits        %.4f per sample\n", res.BitsPerSample())
	fmt.Fprintf(stdout, "speed       %.0f samples/s\n", float64(res.Samples+res.Context)/el.Seconds())
	return nil
}
