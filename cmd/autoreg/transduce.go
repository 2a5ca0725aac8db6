package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/decode"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/tokenize"
)

// transduceOpts are the flags of `autoreg transduce`.
type transduceOpts struct {
	model   string
	beams   int
	batch   int
	maxTok  int
	alpha   float64
	early   bool
	skipBad bool
	stats   bool
}

func (o *transduceOpts) register(fs *flag.FlagSet) {
	fs.StringVar(&o.model, "model", "", "the encoder-decoder model `FILE`")
	fs.IntVar(&o.beams, "beams", 5, "beam search width `N` (1 = greedy)")
	fs.IntVar(&o.batch, "batch", 64, "decode up to `N` input lines at once (the lines already read), their beams stepped as one batch")
	fs.IntVar(&o.maxTok, "max-tokens", 0, "at most `N` output tokens per line (0 = the model's target context)")
	fs.Float64Var(&o.alpha, "length-penalty", decode.DefaultConfig().LengthPenalty, "rank finished beams by log P / length^α (as sample)")
	fs.BoolVar(&o.early, "early-stopping", true, "end a line's search once --beams hypotheses have ended (fairseq's rule; false: once no live beam can beat them)")
	fs.BoolVar(&o.skipBad, "skip-bad", false, "print an empty line for an input the model cannot take (too long) and count it, instead of failing")
	fs.BoolVar(&o.stats, "stats", false, "print one JSON object with lines, seconds and lines_per_sec on standard error at the end")
}

func init() {
	register(&command{
		name:    "transduce",
		summary: "Transform text line by line with an encoder-decoder (seq2seq): one output per input line, streamed as lines arrive, many lines decoded as one batch.",
		usage:   "--model FILE [--beams N] [--batch N] [FILE...] (standard input without FILE)",
		run:     runTransduce,
	})
}

// runTransduce is `autoreg transduce`.
func runTransduce(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("transduce")
	o := &transduceOpts{}
	o.register(fs)
	args, err := parseArgs(fs, args, stdout)
	if err != nil {
		return err
	}
	return transduce(ctx, o, args, stdout, stderr)
}

// conditional returns a model file's encoder-decoder, or a usage error.
func conditional(f *modelfile.File, path string) (autoreg.Conditional, error) {
	c, ok := f.Model.(autoreg.Conditional)
	if !ok || f.SourceTokenizer == nil {
		return nil, usagef("%s is a %s model, not an encoder-decoder (train one with --arch seq2seq)", path, f.Meta.Family)
	}
	return c, nil
}

// detokenize renders tokens as text without the word tokenizer's leading
// space.
func detokenize(tok tokenize.Tokenizer, ts []autoreg.Token) string {
	return strings.TrimPrefix(tokenize.Decode(tok, ts), " ")
}

func transduce(ctx context.Context, o *transduceOpts, args []string, stdout, stderr io.Writer) error {
	f, err := loadModel(o.model)
	if err != nil {
		return err
	}
	c, err := conditional(f, o.model)
	if err != nil {
		return err
	}
	if o.beams < 1 || o.batch < 1 {
		return usagef("--beams and --batch must be at least 1")
	}
	cfg := decode.DefaultConfig()
	cfg.Beams, cfg.NumReturn, cfg.LengthPenalty, cfg.EarlyStopping = o.beams, 1, o.alpha, o.early
	cfg.MaxTokens = o.maxTok
	if w, ok := f.Model.(interface{ ContextLen() int }); ok && cfg.MaxTokens == 0 {
		cfg.MaxTokens = w.ContextLen() - 1
	}
	prompt := []autoreg.Token{f.Model.Vocab().BOS()}
	tr, err := decode.NewTransducer(c, prompt, cfg)
	if err != nil {
		return usagef("%v", err)
	}
	readers, closeAll, err := openInputs(args)
	if err != nil {
		return err
	}
	defer closeAll()

	// Lines arrive on a channel; each batch takes the first line waiting
	// and as many more as are already read, so output streams as input
	// does.
	lines := make(chan string, 4*o.batch)
	readErr := make(chan error, 1)
	go func() {
		defer close(lines)
		for _, r := range readers {
			sc := bufio.NewScanner(r)
			sc.Buffer(make([]byte, 1<<16), 1<<20)
			for sc.Scan() {
				select {
				case lines <- strings.TrimSuffix(sc.Text(), "\r"):
				case <-ctx.Done():
					return
				}
			}
			if err := sc.Err(); err != nil {
				readErr <- err
				return
			}
		}
	}()
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	start := time.Now()
	var n, skipped, unknown int64
	batch := make([]string, 0, o.batch)
	for {
		batch = batch[:0]
		line, ok := <-lines
		if !ok {
			break
		}
		batch = append(batch, line)
	drain:
		for len(batch) < o.batch {
			select {
			case line, ok := <-lines:
				if !ok {
					break drain
				}
				batch = append(batch, line)
			default:
				break drain
			}
		}
		srcs := make([][]autoreg.Token, 0, len(batch))
		idx := make([]int, 0, len(batch)) // the batch line of each source
		outs := make([]string, len(batch))
		for i, l := range batch {
			n++
			if strings.TrimSpace(l) == "" {
				continue
			}
			ids, err := tokenize.Encode(f.SourceTokenizer, l)
			if err != nil {
				return fmt.Errorf("input line %d: %v", n, err)
			}
			unknown += int64(countToken(ids, f.SourceTokenizer.Vocab().UNK()))
			if len(ids) > c.MaxSourceLen() {
				if !o.skipBad {
					return fmt.Errorf("input line %d has %d tokens, the model reads at most %d (give --skip-bad to skip such lines)",
						n, len(ids), c.MaxSourceLen())
				}
				skipped++
				continue
			}
			srcs = append(srcs, ids)
			idx = append(idx, i)
		}
		rs, err := tr.Transduce(ctx, srcs, nil)
		if err != nil {
			return err
		}
		for j, r := range rs {
			if len(r) > 0 {
				toks := r[0].Tokens
				if len(toks) > 0 && toks[len(toks)-1] == f.Model.Vocab().EOS() {
					toks = toks[:len(toks)-1]
				}
				outs[idx[j]] = detokenize(f.Tokenizer, toks)
			}
		}
		for _, s := range outs {
			out.WriteString(s)
			out.WriteByte('\n')
		}
		if err := out.Flush(); err != nil {
			return err
		}
	}
	select {
	case err := <-readErr:
		return err
	default:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if skipped > 0 {
		fmt.Fprintf(stderr, "transduce: %d input lines too long for the model, printed empty\n", skipped)
	}
	if unknown > 0 {
		fmt.Fprintf(stderr, "transduce: %d input tokens unknown to the model\n", unknown)
	}
	if o.stats {
		el := time.Since(start).Seconds()
		json.NewEncoder(stderr).Encode(map[string]any{"lines": n, "seconds": el, "lines_per_sec": float64(n) / el})
	}
	return nil
}

// openInputs opens the files named (standard input for none or "-").
func openInputs(paths []string) ([]io.Reader, func(), error) {
	if len(paths) == 0 {
		return []io.Reader{os.Stdin}, func() {}, nil
	}
	var rs []io.Reader
	var fs []*os.File
	closeAll := func() {
		for _, f := range fs {
			f.Close()
		}
	}
	for _, p := range paths {
		if p == "-" {
			rs = append(rs, os.Stdin)
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			closeAll()
			var pe *os.PathError
			if errors.As(err, &pe) {
				return nil, nil, fmt.Errorf("%s: %v", p, pe.Err)
			}
			return nil, nil, err
		}
		fs, rs = append(fs, f), append(rs, f)
	}
	return rs, closeAll, nil
}
