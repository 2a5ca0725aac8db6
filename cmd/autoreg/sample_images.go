package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/decode"
	"github.com/autoreg/autoreg/imagefile"
	"github.com/autoreg/autoreg/internal/atomicfile"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/tokenize"
)

// imageFlags are the flags of `autoreg sample` for models of images.
type imageFlags struct {
	count       int
	out         string
	promptImage string
	rows        int
	columns     int
}

// sampleImages draws images from a model of the pixel tokenizer and
// writes them as one PNG grid: --count images (of the --control class; a
// class-conditional model without --control draws --count of every
// class, a row each), or with --prompt-image the completions of the first
// --count images given their top --rows rows, each beside its original.
// cfg holds the sampler flags; every image is exactly one image long.
func sampleImages(ctx context.Context, stdout, stderr io.Writer, f *modelfile.File, tok *tokenize.Pixels, cfg decode.Config, fl imageFlags) error {
	if fl.out == "" {
		return usagef("--out FILE.png is required for a model of images")
	}
	if fl.count < 1 {
		return usagef("--count %d: want at least 1", fl.count)
	}
	if err := checkOut("--out", fl.out); err != nil {
		return err
	}
	v := tok.Vocab()
	shape := tok.Shape()
	N := shape.Samples()
	cfg.IgnoreEOS = true
	cfg.NumReturn = 1
	cfg.LogitBias = append(cfg.LogitBias, decode.Bias{Token: v.UNK(), Bias: float32(math.Inf(-1))})
	start := time.Now()
	var cells []*imagefile.Image
	var labels []string // each cell's class, for an IDX output
	cols := fl.columns
	total := 0
	if fl.promptImage != "" {
		rows, err := completeImages(ctx, f, tok, cfg, fl)
		if err != nil {
			return err
		}
		for _, r := range rows {
			cells = append(cells, r...)
			total += len(r) - 1
		}
		if cols == 0 {
			cols = len(rows[0])
		}
	} else {
		if err := cfg.Validate(); err != nil {
			return usagef("%v", err)
		}
		classes := []string{cfg.Control}
		if cfg.Control == "" && len(v.Controls) > 0 {
			classes = v.Controls
		}
		for ci, c := range classes {
			cc := cfg
			cc.Control, cc.MaxTokens, cc.Seed = c, N, cfg.Seed+uint64(ci)
			if err := cc.CheckVocab(v); err != nil {
				return usagef("%v", err)
			}
			g, err := decode.NewGenerator(f.Model, cc, nil)
			if err != nil {
				return usagef("%v", err)
			}
			for range fl.count {
				r, err := g.Generate(ctx, []autoreg.Token{v.BOS()}, nil)
				if err != nil {
					return err
				}
				cells = append(cells, tok.Image(r.Tokens))
				labels = append(labels, c)
				total++
			}
		}
		if cols == 0 {
			cols = int(math.Ceil(math.Sqrt(float64(fl.count))))
			if len(classes) > 1 {
				cols = fl.count
			}
		}
	}
	el := time.Since(start)
	if isIDX(fl.out) {
		if fl.promptImage != "" {
			return usagef("--out %s: completions go to a PNG grid", fl.out)
		}
		if err := writeIDXSamples(fl.out, cells, labels); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s: %d image(s) of %s, %d levels; %.1f images/s\n", fl.out, total, shape, tok.Levels(), float64(total)/el.Seconds())
		return nil
	}
	grid, err := imagefile.Grid(scaled(cells), cols, 2, 128)
	if err != nil {
		return err
	}
	if err := imagefile.WriteFile(fl.out, grid); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d image(s) of %s, %d levels, %d×%d pixels; %.1f images/s, %.0f samples/s\n",
		fl.out, total, shape, tok.Levels(), grid.Width, grid.Height, float64(total)/el.Seconds(), float64(total*N)/el.Seconds())
	return nil
}

// completeImages completes the first fl.count images of fl.promptImage
// from their top fl.rows rows: one grid row per image, the original (as
// the model reads it) then the completion.
func completeImages(ctx context.Context, f *modelfile.File, tok *tokenize.Pixels, cfg decode.Config, fl imageFlags) ([][]*imagefile.Image, error) {
	shape := tok.Shape()
	if fl.rows < 0 || fl.rows >= shape.Height {
		return nil, usagef("--rows %d: want 0 to %d (the image is %d rows high)", fl.rows, shape.Height-1, shape.Height)
	}
	v := tok.Vocab()
	ctl := corpus.Control{}
	if len(v.Controls) > 0 && cfg.Control == "" {
		// The prompt images' classes, by the rule the model was trained with.
		var err error
		if ctl, err = corpus.ParseControl(f.Meta.Control); err != nil {
			return nil, err
		}
	}
	docs, err := corpus.Files([]string{fl.promptImage}, corpus.Options{})
	if err != nil {
		return nil, err
	}
	set, err := corpus.LoadImages(ctx, docs, corpus.ImageOptions{Control: ctl})
	if err != nil {
		return nil, err
	}
	if cfg.Control != "" {
		for i := range set.Classes {
			set.Classes[i] = cfg.Control
		}
	}
	seqs, err := set.Sequences(tok, corpus.Threshold, 0)
	if err != nil {
		return nil, fmt.Errorf("--prompt-image: %v", err)
	}
	keep := fl.rows * shape.Width * shape.Channels
	start := seqs.SeqLen() - shape.Samples() // <s> [code]
	seq := make([]autoreg.Token, seqs.SeqLen())
	var rows [][]*imagefile.Image
	for i := range min(fl.count, seqs.Count()) {
		seqs.Sequence(seq, i, 0)
		cc := cfg
		cc.Control, cc.MaxTokens, cc.Seed = "", shape.Samples()-keep, cfg.Seed+uint64(i)
		if err := cc.Validate(); err != nil {
			return nil, usagef("%v", err)
		}
		res, err := decode.Run(ctx, f.Model, seq[:start+keep], cc, nil, nil)
		if err != nil {
			return nil, err
		}
		done := append(append([]autoreg.Token(nil), seq[start:start+keep]...), res[0].Tokens...)
		rows = append(rows, []*imagefile.Image{tok.Image(seq[start:]), tok.Image(done)})
	}
	return rows, nil
}

// isIDX reports whether path names an IDX image file (MNIST's naming).
func isIDX(path string) bool {
	base := strings.TrimSuffix(filepath.Base(path), ".gz")
	return strings.HasSuffix(base, "-idx3-ubyte") || strings.HasSuffix(base, ".idx")
}

// writeIDXSamples writes drawn images as an IDX image file (their levels
// as samples: a 2-level model's read back as bilevel) and, when they have
// classes, the label file paired with it by MNIST's naming (the classes
// must be numbers 0..255).
func writeIDXSamples(path string, cells []*imagefile.Image, labels []string) error {
	ims := make([]imagefile.Image, len(cells))
	for i, c := range cells {
		ims[i] = *c
	}
	write := func(path string, enc func(io.Writer) error) error {
		w, err := atomicfile.Create(path)
		if err != nil {
			return err
		}
		defer w.Abort()
		if err := enc(w); err != nil {
			return err
		}
		return w.Commit()
	}
	if err := write(path, func(w io.Writer) error { return imagefile.EncodeIDXImages(w, ims) }); err != nil {
		return err
	}
	if len(labels) == 0 || labels[0] == "" {
		return nil
	}
	lab := make([]byte, len(labels))
	for i, l := range labels {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 || n > 255 {
			return fmt.Errorf("class %q is not a number 0..255: IDX labels cannot hold it", l)
		}
		lab[i] = byte(n)
	}
	base := filepath.Base(path)
	i := strings.Index(base, "-images")
	if i < 0 {
		return fmt.Errorf("--out %s: name it PREFIX-images-idx3-ubyte so that its labels can go to PREFIX-labels-idx1-ubyte", path)
	}
	return write(filepath.Join(filepath.Dir(path), base[:i]+"-labels-idx1-ubyte"), func(w io.Writer) error { return imagefile.EncodeIDXLabels(w, lab) })
}

// scaled returns the images at 8 bits, so that a grid of bilevel or
// 17-level images shows as gray levels on a gray background.
func scaled(ims []*imagefile.Image) []*imagefile.Image {
	out := make([]*imagefile.Image, len(ims))
	for i, im := range ims {
		out[i] = imagefile.ScaleTo(im, 255)
	}
	return out
}
