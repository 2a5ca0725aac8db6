package main

import (
	"context"
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"math"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/decode"
	"github.com/autoreg/autoreg/internal/atomicfile"
	"github.com/autoreg/autoreg/internal/spectrum"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/tokenize"
	"github.com/autoreg/autoreg/wavfile"
)

// audioFlags are the flags of `autoreg sample` for a model of sound.
type audioFlags struct {
	seconds   float64
	out       string
	plot      string
	reference string
}

// sampleAudio draws --seconds of sound from a model of sound (ancestral
// sampling through the decoder, the sampler flags applying; </s> and
// <unk> never drawn), writes it as a WAV file at the model's rate, and
// with --plot draws its spectrogram beside a real clip's (--reference, by
// default the first file the model was trained on).
func sampleAudio(ctx context.Context, stdout, stderr io.Writer, f *modelfile.File, tok tokenize.Sound, cfg decode.Config, af audioFlags) error {
	if af.out == "" {
		return usagef("a model of sound writes a WAV file: give --out FILE.wav")
	}
	if !(af.seconds > 0 && af.seconds <= 3600) {
		return usagef("--seconds %g: want a duration in (0, 3600]", af.seconds)
	}
	a := tok.Audio()
	v := f.Model.Vocab()
	n := int(math.Round(af.seconds*float64(a.Rate))) * a.Channels
	cfg.MaxTokens, cfg.IgnoreEOS = n, true
	cfg.LogitBias = append(cfg.LogitBias, decode.Bias{Token: v.UNK(), Bias: float32(math.Inf(-1))})
	if err := cfg.Validate(); err != nil {
		return usagef("%v", err)
	}
	if err := cfg.CheckVocab(v); err != nil {
		return usagef("%v", err)
	}
	pr := newProgress(stderr, "sampling")
	start := time.Now()
	done := 0
	results, err := decode.Run(ctx, f.Model, []autoreg.Token{v.BOS()}, cfg, tok, func(c decode.Chunk) error {
		if !c.Final {
			done++
			if done%1000 == 0 {
				pr.bytes(int64(done), int64(n))
			}
		}
		return nil
	})
	pr.done()
	if err != nil {
		return err
	}
	el := time.Since(start)
	wf, err := tok.WAV(results[0].Tokens)
	if err != nil {
		return err
	}
	if err := wavfile.WriteFile(af.out, wf); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s: %s of %s, %s samples in %s (%.0f samples/s)\n", af.out, seconds(wf.Seconds()), a,
		thousands(int64(len(results[0].Tokens))), el.Round(time.Millisecond), float64(len(results[0].Tokens))/el.Seconds())
	if af.plot == "" {
		return nil
	}
	ref := af.reference
	if ref == "" {
		var rec struct {
			Data []string `json:"data"`
		}
		_ = json.Unmarshal(f.Meta.Training, &rec)
		if len(rec.Data) == 0 {
			return usagef("--plot: give --reference WAV (the model does not record its training files)")
		}
		ref = rec.Data[0]
	}
	real, err := firstWAV(ref)
	if err != nil {
		return fmt.Errorf("--reference: %w", err)
	}
	if err := writeSpectrograms(af.plot, wf, af.out, real, ref); err != nil {
		return fmt.Errorf("--plot: %w", err)
	}
	fmt.Fprintf(stderr, "wrote %s: spectrograms of %s and %s\n", af.plot, af.out, ref)
	return nil
}

// firstWAV reads path, or the first file of the directory tree path.
func firstWAV(path string) (*wavfile.File, error) {
	docs, err := corpus.Files([]string{path}, corpus.Options{})
	if err != nil {
		return nil, err
	}
	return corpus.ReadWAV(docs[0])
}

// spectrogramOf is the spectrogram of a file's first channel: 32 ms
// frames every 8 ms.
func spectrogramOf(f *wavfile.File, maxSeconds float64) (*spectrum.Spectrogram, error) {
	ch := f.Format.Channels
	xs := f.Floats(nil)
	keep := min(len(xs)/ch, int(maxSeconds*float64(f.Format.SampleRate)))
	x := make([]float64, keep)
	for i := range x {
		x[i] = float64(xs[i*ch])
	}
	win := 1 << max(6, int(math.Round(math.Log2(0.032*float64(f.Format.SampleRate)))))
	return spectrum.Compute(x, f.Format.SampleRate, win, win/4)
}

// specGrid shows a spectrogram as a plotter.GridXYZ: x in seconds, y in
// kHz, z in dB.
type specGrid struct{ s *spectrum.Spectrogram }

func (g specGrid) Dims() (c, r int)   { return g.s.Frames, g.s.Bins }
func (g specGrid) Z(c, r int) float64 { return g.s.At(c, r) }
func (g specGrid) X(c int) float64    { return float64(c*g.s.Hop) / float64(g.s.Rate) }
func (g specGrid) Y(r int) float64 {
	return float64(r) * float64(g.s.Rate) / float64(2*(g.s.Bins-1)) / 1000
}

// writeSpectrograms draws the spectrograms of the generated sound and of
// a real clip side by side (the real one cut to the generated length, at
// least 3 s), on one dB scale, as a PNG written atomically.
func writeSpectrograms(path string, gen *wavfile.File, genName string, real *wavfile.File, realName string) error {
	secs := max(gen.Seconds(), 3)
	var plots []*plot.Plot
	lo, hi := math.Inf(1), math.Inf(-1)
	var specs []*spectrum.Spectrogram
	for _, f := range []*wavfile.File{gen, real} {
		s, err := spectrogramOf(f, secs)
		if err != nil {
			return err
		}
		if s.Frames == 0 {
			return fmt.Errorf("a file shorter than one spectrogram frame")
		}
		for _, v := range s.DB {
			lo, hi = min(lo, v), max(hi, v)
		}
		specs = append(specs, s)
	}
	lo = max(lo, hi-90) // 90 dB of range: quieter is black
	for i, s := range specs {
		pal := moreland.ExtendedBlackBody()
		pal.SetMin(lo)
		pal.SetMax(hi)
		h := plotter.NewHeatMap(specGrid{s}, pal.Palette(256))
		h.Min, h.Max = lo, hi
		h.Underflow, h.Overflow = color.Black, color.White
		h.Rasterized = true
		p := plot.New()
		p.Title.Text = []string{"generated: " + genName, "real: " + realName}[i]
		p.X.Label.Text = "seconds"
		p.Y.Label.Text = "kHz"
		p.Add(h)
		plots = append(plots, p)
	}
	const w, ht = 12 * vg.Inch, 4.5 * vg.Inch
	img := vgimg.New(w, ht)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 2,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align([][]*plot.Plot{plots}, tiles, dc)
	for i, p := range plots {
		p.Draw(canvases[0][i])
	}
	return atomicfile.WriteFile(path, func(out io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(out)
		return err
	})
}
