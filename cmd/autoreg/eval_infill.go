package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/autoreg/autoreg/eval"
	"github.com/autoreg/autoreg/modelfile"
)

// infillFlags are the flags of `autoreg eval --infill`.
type infillFlags struct {
	on    bool
	spans string
	count int
	seed  uint64
}

func (f *infillFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.on, "infill", false, "score held-out middles: a fill-in-the-middle model (trained with --fim-rate) given both sides, its end-of-middle sentinel included; any other model given the prefix alone")
	fs.StringVar(&f.spans, "spans", "", "with --infill: the middles, one per line as `FILE`'s 'PATH<TAB>START<TAB>END' (byte offsets); default: --infill-count random spans of one to three indented lines of the --data files")
	fs.IntVar(&f.count, "infill-count", 500, "with --infill: random spans to score")
	fs.Uint64Var(&f.seed, "seed", 1, "with --infill: the random spans' seed")
}

// evalInfill runs `autoreg eval --infill`.
func evalInfill(ctx context.Context, stdout io.Writer, f *modelfile.File, cf *corpusFlags, args []string, o *infillFlags, asJSON bool) error {
	start := time.Now()
	var spans []eval.Span
	var err error
	if o.spans != "" {
		if spans, err = readSpans(o.spans); err != nil {
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
	res, err := eval.Infill(ctx, f.Model, f.Tokenizer, spans)
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
	how := "fill in the middle (prefix and suffix given, end sentinel scored)"
	if !res.FIM {
		how = "left to right (prefix alone: the model has no fill-in-the-middle sentinels)"
	}
	fmt.Fprintf(w, "infill      %s\n", how)
	fmt.Fprintf(w, "spans       %s scored, %s skipped (middle longer than half the context)\n", thousands(res.Spans), thousands(res.Skipped))
	fmt.Fprintf(w, "middles     %s tokens scored, %s characters\n", thousands(res.Tokens), thousands(res.Chars))
	fmt.Fprintf(w, "NLL         %.2f nats, %.4f per span, %.4f bits per character\n", res.NLL, res.NatsPerSpan(), res.BitsPerChar())
	return nil
}

// readSpans reads a spans file: "PATH<TAB>START<TAB>END" per line, byte
// offsets into the file at PATH.
func readSpans(path string) ([]eval.Span, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	texts := map[string][]byte{}
	var out []eval.Span
	sc := bufio.NewScanner(fh)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		parts := strings.Split(line, "\t")
		bad := func(msg string) error { return fmt.Errorf("%s: line %d: %s", path, n, msg) }
		if len(parts) != 3 {
			return nil, bad("want PATH<TAB>START<TAB>END")
		}
		a, err1 := strconv.Atoi(parts[1])
		b, err2 := strconv.Atoi(parts[2])
		if err1 != nil || err2 != nil {
			return nil, bad("offsets are not integers")
		}
		text, ok := texts[parts[0]]
		if !ok {
			if text, err = os.ReadFile(parts[0]); err != nil {
				return nil, bad(err.Error())
			}
			texts[parts[0]] = text
		}
		if a < 0 || a > b || b > len(text) {
			return nil, bad(fmt.Sprintf("span [%d, %d) outside the %d bytes of %s", a, b, len(text), parts[0]))
		}
		out = append(out, eval.Span{Text: text, Start: a, End: b})
	}
	return out, sc.Err()
}
