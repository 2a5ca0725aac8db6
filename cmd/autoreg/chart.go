package main

import (
	"bytes"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/autoreg/autoreg/internal/atomicfile"
	"github.com/autoreg/autoreg/train"
)

// writeLossChart draws training and validation loss against the training
// data seen (unit "token", or "step" for a real-valued series, whose loss
// is per standardized value) as a PNG, written atomically.
func writeLossChart(path string, hist []train.Point, unit string) error {
	if len(hist) == 0 {
		return nil
	}
	p := plot.New()
	p.Title.Text = "loss"
	p.X.Label.Text = "training tokens"
	p.Y.Label.Text = "nats per token"
	if unit == "step" {
		p.X.Label.Text = "training steps of the series"
		p.Y.Label.Text = "nats per value (standardized)"
	}
	p.Add(plotter.NewGrid())
	var tr, va plotter.XYs
	// Training loss is noisy step to step: plot a running mean over
	// ~1% of the run so the curve stays readable.
	win := max(1, len(hist)/100)
	var sum float64
	for i, h := range hist {
		sum += h.Loss
		if i >= win {
			sum -= hist[i-win].Loss
		}
		tr = append(tr, plotter.XY{X: float64(h.Tokens), Y: sum / float64(min(i+1, win))})
		if h.HasVal {
			va = append(va, plotter.XY{X: float64(h.Tokens), Y: h.ValLoss})
		}
	}
	l, err := plotter.NewLine(tr)
	if err != nil {
		return err
	}
	l.Color = plotter.DefaultLineStyle.Color
	p.Add(l)
	p.Legend.Add("train", l)
	if len(va) > 0 {
		lv, pts, err := plotter.NewLinePoints(va)
		if err != nil {
			return err
		}
		lv.Color = plotColor(0xd6, 0x27, 0x28)
		pts.Color = lv.Color
		p.Add(lv, pts)
		p.Legend.Add("validation", lv, pts)
	}
	p.Legend.Top = true
	return savePlot(p, path)
}

// savePlot renders p as an 8×5-inch PNG written atomically to path.
func savePlot(p *plot.Plot, path string) error {
	w, err := p.WriterTo(8*vg.Inch, 5*vg.Inch, "png")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return err
	}
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(buf.Bytes()); err != nil {
		return err
	}
	return f.Commit()
}

func plotColor(r, g, b uint8) color.RGBA { return color.RGBA{R: r, G: g, B: b, A: 255} }
