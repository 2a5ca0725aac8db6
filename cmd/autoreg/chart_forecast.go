package main

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// fanChart is what a forecast's fan chart shows for one series and value.
type fanChart struct {
	title, xlabel string
	ylabel        string
	dates         bool      // x values are Unix seconds
	histX, histY  []float64 // the recent history
	actX, actY    []float64 // what followed the history, if known (forecast --from)
	futX          []float64 // the forecast steps
	ps            []float64 // quantile levels, ascending
	q             [][]float64
	mean          []float64 // drawn when ps lacks 0.5
}

// writeFanChart draws the history, the median forecast and shaded bands
// between symmetric quantiles (the widest lightest), as a PNG.
func writeFanChart(path string, c fanChart) error {
	p := plot.New()
	p.Title.Text = c.title
	p.Y.Label.Text = c.ylabel
	p.X.Label.Text = c.xlabel
	if c.dates {
		p.X.Tick.Marker = plot.TimeTicks{Format: "2006-01-02"}
	} else {
		p.X.Tick.Marker = plainTicks{}
	}
	p.Y.Tick.Marker = plainTicks{}
	p.Add(plotter.NewGrid())
	// Every band and the centre line start at the last observation, so the
	// fan grows out of the history.
	x0, y0 := c.histX[len(c.histX)-1], c.histY[len(c.histY)-1]
	blue := func(alpha uint8) color.NRGBA { return color.NRGBA{R: 0x1f, G: 0x77, B: 0xb4, A: alpha} }
	nb := len(c.ps) / 2
	for b := range nb {
		lo, hi := c.q[b], c.q[len(c.ps)-1-b]
		pts := plotter.XYs{{X: x0, Y: y0}}
		for i, x := range c.futX {
			pts = append(pts, plotter.XY{X: x, Y: hi[i]})
		}
		for i := len(c.futX) - 1; i >= 0; i-- {
			pts = append(pts, plotter.XY{X: c.futX[i], Y: lo[i]})
		}
		poly, err := plotter.NewPolygon(pts)
		if err != nil {
			return err
		}
		poly.Color = blue(uint8(50 + 100*(b+1)/(nb+1)))
		poly.LineStyle.Width = 0
		p.Add(poly)
		p.Legend.Add(fmt.Sprintf("%.4g%% interval", 100*(c.ps[len(c.ps)-1-b]-c.ps[b])), poly)
	}
	centre, label := c.mean, "mean"
	if i := slices.Index(c.ps, 0.5); i >= 0 {
		centre, label = c.q[i], "median"
	}
	cl := plotter.XYs{{X: x0, Y: y0}}
	for i, x := range c.futX {
		cl = append(cl, plotter.XY{X: x, Y: centre[i]})
	}
	line, err := plotter.NewLine(cl)
	if err != nil {
		return err
	}
	line.Color = blue(255)
	line.Width *= 2
	p.Add(line)
	p.Legend.Add(label, line)
	hist := make(plotter.XYs, len(c.histX))
	for i := range hist {
		hist[i] = plotter.XY{X: c.histX[i], Y: c.histY[i]}
	}
	hl, err := plotter.NewLine(hist)
	if err != nil {
		return err
	}
	hl.Color = color.NRGBA{A: 255}
	p.Add(hl)
	p.Legend.Add("history", hl)
	if len(c.actX) > 0 {
		act := plotter.XYs{{X: x0, Y: y0}}
		for i := range c.actX {
			act = append(act, plotter.XY{X: c.actX[i], Y: c.actY[i]})
		}
		al, pts, err := plotter.NewLinePoints(act)
		if err != nil {
			return err
		}
		al.Color = color.NRGBA{A: 255}
		al.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
		pts.Color = al.Color
		pts.Radius = vg.Points(1.5)
		p.Add(al, pts)
		p.Legend.Add("what happened", al, pts)
	}
	// Headroom above the data keeps the legend (top left) off the curves.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, ys := range append([][]float64{c.histY, c.actY, centre}, c.q...) {
		for _, y := range ys {
			lo, hi = math.Min(lo, y), math.Max(hi, y)
		}
	}
	if span := hi - lo; span > 0 {
		p.Y.Min, p.Y.Max = lo-0.05*span, hi+0.3*span
	}
	p.Legend.Top = true
	p.Legend.Left = true
	return savePlot(p, path)
}

// plainTicks labels the default ticks with the shortest form of their
// numbers (years as 1950, not 1950.00).
type plainTicks struct{}

func (plainTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'g', -1, 64)
		}
	}
	return ts
}
