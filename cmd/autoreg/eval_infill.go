package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/autoreg/autoreg/eval"
	"github.com/autoreg/autoreg/fim"
	"github.com/autoreg/autoreg/modelfile"
)

// infillFlags are the flags of `autoreg eval --infill`.
type infillFlags struct {
	on    bool
	spans string
	count int
	seed  uint64 // eval's --seed
	order string
}

func (f *infillFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.on, "infill", false, "score held-out middles: a fill-in-the-middle model (trained with --fim-rate) given both sides, its end-of-middle sentinel included; any other model given the prefix alone")
	fs.StringVar(&f.spans, "spans", "", "with --infill: the middles, one per line as `FILE`'s 'PATH<TAB>START<TAB>END' (byte offsets); default: --infill-count random spans of one to three indented lines of the --data files")
	fs.IntVar(&f.count, "infill-count", 500, "with --infill: random spans to score")
	fs.StringVar(&f.order, "fim-order", "spm", "with --infill: the layout a fill-in-the-middle model reads both sides in: `spm` (<PRE> <SUF> suffix <MID> prefix) or psm (<PRE> prefix <SUF> suffix <MID>)")
}

// evalInfill runs `autoreg eval --infill`.
func evalInfill(ctx context.Context, stdout io.Writer, f *modelfile.File, cf *corpusFlags, args []string, o *infillFlags, asJSON bool) error {
	start := time.Now()
	var spans []eval.Span
	var err error
	if o.spans != "" {
		fh, err := os.Open(o.spans)
		if err != nil {
			return err
		}
		spans, err = eval.ReadSpans(fh, o.spans, os.ReadFile)
		fh.Close()
		if err != nil {
			return err
		}
	} else {
		docs, err := cf.docs(args)
		if err != nil {
			return err
		}
		texts := make([][]byte, 0, len(docs))
		for _, d := range docs {
			if d.Path == "-" {
				return usagef("--infill reads files, not standard input")
			}
			b, err := os.ReadFile(d.Path)
			if err != nil {
				return err
			}
			texts = append(texts, b)
		}
		spans = eval.LineSpans(texts, o.count, o.seed)
	}
	if len(spans) == 0 {
		return fmt.Errorf("no spans to score (no indented lines in the data?)")
	}
	order, err := fim.ParseOrder(o.order)
	if err != nil {
		return usagef("--fim-order: %v", err)
	}
	res, err := eval.Infill(ctx, f.Model, f.Tokenizer, spans, eval.InfillOptions{Order: order})
	if err != nil {
		return err
	}
	if res.Spans == 0 {
		return fmt.Errorf("every span's middle is longer than half the model's context")
	}
	el := time.Since(start)
	if asJSON {
		return json.NewEncoder(stdout).Encode(map[string]any{"fim": res.FIM, "spans": res.Spans, "skipped": res.Skipped,
			"tokens": res.Tokens, "chars": res.Chars, "nll_nats": res.NLL, "nats_per_span": res.NatsPerSpan(),
			"bits_per_char": res.BitsPerChar(), "seconds": el.Seconds()})
	}
	w := stdout
	how := fmt.Sprintf("fill in the middle (prefix and suffix given in %s order, the middle's end scored)", order)
	if !res.FIM {
		how = "left to right (prefix alone: the model has no fill-in-the-middle sentinels)"
	}
	fmt.Fprintf(w, "infill      %s\n", how)
	fmt.Fprintf(w, "spans       %s scored, %s skipped (middle longer than half the context)\n", thousands(res.Spans), thousands(res.Skipped))
	fmt.Fprintf(w, "middles     %s tokens scored, %s characters\n", thousands(res.Tokens), thousands(res.Chars))
	fmt.Fprintf(w, "NLL         %.2f nats, %.4f per span, %.4f bits per character\n", res.NLL, res.NatsPerSpan(), res.BitsPerChar())
	return nil
}
