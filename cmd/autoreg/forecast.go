package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/autoreg/autoreg/forecast"
	"github.com/autoreg/autoreg/internal/atomicfile"
	"github.com/autoreg/autoreg/series"
)

const (
	forecastSummary = "Forecast CSV series past their end with a real-valued model: sample paths, their mean and quantiles as a CSV table, and a fan chart."
	forecastUsage   = "--model FILE --data FILE.csv --horizon H [--samples N] [--quantiles 0.05,0.5,0.95] [--out forecast.csv] [--plot forecast.png]"
)

func init() {
	register(&command{name: "forecast", summary: forecastSummary, usage: forecastUsage, run: runForecast})
}

type forecastOpts struct {
	sf        seriesFlags
	model     string
	horizon   int
	samples   int
	quantiles string
	seed      uint64
	out       string
	plot      string
	history   int
	from      string
}

func forecastFlags(fs *flag.FlagSet) *forecastOpts {
	o := &forecastOpts{}
	o.sf.register(fs, "the series to continue (the forecast starts after its last row)")
	fs.StringVar(&o.model, "model", "", "the real-valued model `FILE`")
	fs.IntVar(&o.horizon, "horizon", 12, "forecast `H` steps past the end")
	fs.IntVar(&o.samples, "samples", 1000, "sample paths drawn from the model")
	fs.StringVar(&o.quantiles, "quantiles", "0.05,0.25,0.5,0.75,0.95", "quantile levels of the table and the chart's bands, comma-separated")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed: the same seed gives the same paths")
	fs.StringVar(&o.out, "out", "", "write the table to this CSV `FILE` (default: standard output)")
	fs.StringVar(&o.plot, "plot", "", "draw a fan chart to this PNG `FILE` (several series or columns: one file each, named FILE-ID-COLUMN.png)")
	fs.IntVar(&o.history, "history", 0, "steps of history in the chart (0 = max(4·H, 100))")
	fs.StringVar(&o.from, "from", "", "forecast from inside the series instead of past its end: the first step forecast is the row whose time is `T` (or, if no time matches, the first T steps are the history); what followed is the table's actual columns and the chart's black line on the fan")
	return o
}

// origin returns how many steps of s are the history of the forecast: all
// of them, or what --from names (a time label of s, else a step count).
func (o *forecastOpts) origin(s *series.Series) (int, error) {
	if o.from == "" {
		return s.Len(), nil
	}
	for t, label := range s.Times {
		if label == o.from {
			return t, nil
		}
	}
	n, err := strconv.Atoi(o.from)
	if err != nil || n < 1 || n > s.Len() {
		return 0, usagef("--from %q: no row has that time, and it is not a step count in 1..%d", o.from, s.Len())
	}
	return n, nil
}

// runForecast is `autoreg forecast`.
func runForecast(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("forecast")
	o := forecastFlags(fs)
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return err
	}
	if o.horizon < 1 || o.samples < 2 || o.history < 0 {
		return usagef("--horizon must be ≥ 1, --samples ≥ 2 and --history ≥ 0")
	}
	ps, err := parseQuantiles(o.quantiles)
	if err != nil {
		return usagef("--quantiles: %v", err)
	}
	for _, p := range []string{o.out, o.plot} {
		if p != "" && p != "-" {
			if err := checkOut("--out/--plot", p); err != nil {
				return err
			}
		}
	}
	f, err := loadReal(o.model)
	if err != nil {
		return err
	}
	ss, err := o.sf.read(pos, &f.Meta)
	if err != nil {
		return err
	}
	d, H, N := f.Real.Dim(), o.horizon, o.samples
	var rows [][]string
	header := []string{}
	if o.sf.id != "" {
		header = append(header, o.sf.id)
	}
	header = append(header, "step")
	timeName := ""
	if ss[0].Times != nil {
		timeName = o.sf.time
		if timeName == "" {
			timeName = f.Meta.Time
		}
		header = append(header, timeName)
	}
	for _, col := range ss[0].Columns {
		prefix := ""
		if d > 1 {
			prefix = col + "_"
		}
		header = append(header, prefix+"mean")
		for _, p := range ps {
			header = append(header, prefix+"q"+strconv.FormatFloat(p, 'g', -1, 64))
		}
		if o.from != "" {
			header = append(header, prefix+"actual")
		}
	}
	for si, full := range ss {
		n, err := o.origin(full)
		if err != nil {
			return err
		}
		s := full.Head(n)
		st := f.Real.NewRealState()
		st.Append(s.Values...)
		paths, err := forecast.Paths(ctx, f.Real, st, H, N, o.seed+uint64(si))
		if err != nil {
			return err
		}
		q := forecast.Quantiles(paths, N, H, d, ps)
		means := forecast.Means(paths, N, H, d)
		var axis *series.TimeAxis
		if s.Times != nil {
			if axis, err = series.ParseTimes(s.Times); err != nil {
				fmt.Fprintf(stderr, "warning: %v; the table and chart count steps instead\n", err)
			}
		}
		futX := make([]float64, H)
		for h := range H {
			var row []string
			if o.sf.id != "" {
				row = append(row, s.ID)
			}
			row = append(row, strconv.Itoa(h+1))
			futX[h] = float64(s.Len() + h)
			if s.Times != nil {
				label := ""
				if axis != nil {
					futX[h], label = axis.Next(h + 1)
				}
				row = append(row, label)
			}
			for i := range d {
				row = append(row, formatValue(means[h*d+i]))
				for j := range ps {
					row = append(row, formatValue(q[(h*d+i)*len(ps)+j]))
				}
				if o.from != "" {
					actual := ""
					if n+h < full.Len() {
						actual = formatValue(full.At(n+h, i))
					}
					row = append(row, actual)
				}
			}
			rows = append(rows, row)
		}
		if o.plot != "" {
			if err := plotForecast(o, f.Meta.Family, timeName, full, n, si, len(ss), axis, futX, ps, q, means); err != nil {
				return err
			}
		}
	}
	return writeTable(o.out, stdout, header, rows)
}

// plotForecast draws the fan chart of every value of series s, forecast
// from its first n steps (and what followed them, if any).
func plotForecast(o *forecastOpts, family, timeName string, s *series.Series, n, si, nseries int, axis *series.TimeAxis, futX, ps, q, means []float64) error {
	d, H := s.Dim(), o.horizon
	hist := o.history
	if hist == 0 {
		hist = max(4*H, 100)
	}
	start := max(0, n-hist)
	for i, col := range s.Columns {
		c := fanChart{title: fmt.Sprintf("%s: %d-step forecast (%s model, %d sample paths)", col, H, family, o.samples),
			xlabel: "step", ylabel: col, dates: axis != nil && axis.Dates, futX: futX, ps: ps, mean: make([]float64, H)}
		if axis != nil {
			c.xlabel = timeName
		}
		if s.ID != "" {
			c.title = s.ID + " " + c.title
		}
		for t := start; t < n; t++ {
			if v := s.At(t, i); !math.IsNaN(v) {
				x := float64(t)
				if axis != nil {
					x = axis.X[t]
				}
				c.histX, c.histY = append(c.histX, x), append(c.histY, v)
			}
		}
		for h := range min(H, s.Len()-n) {
			if v := s.At(n+h, i); !math.IsNaN(v) {
				c.actX, c.actY = append(c.actX, futX[h]), append(c.actY, v)
			}
		}
		if len(c.histX) == 0 {
			continue
		}
		c.q = make([][]float64, len(ps))
		for j := range ps {
			c.q[j] = make([]float64, H)
			for h := range H {
				c.q[j][h] = q[(h*d+i)*len(ps)+j]
			}
		}
		for h := range H {
			c.mean[h] = means[h*d+i]
		}
		path := o.plot
		if nseries > 1 || d > 1 {
			ext := filepath.Ext(path)
			name := strings.TrimSuffix(path, ext)
			if nseries > 1 {
				id := s.ID
				if id == "" {
					id = strconv.Itoa(si + 1)
				}
				name += "-" + safeName(id)
			}
			if d > 1 {
				name += "-" + safeName(col)
			}
			path = name + ext
		}
		if err := writeFanChart(path, c); err != nil {
			return fmt.Errorf("--plot %s: %v", path, err)
		}
	}
	return nil
}

// safeName keeps letters, digits, '-', '_' and '.' of s for a file name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}

// parseQuantiles reads ascending levels in (0, 1).
func parseQuantiles(s string) ([]float64, error) {
	ps, err := parseFloats(s)
	if err != nil {
		return nil, err
	}
	for i, p := range ps {
		if !(p > 0 && p < 1) || (i > 0 && p <= ps[i-1]) {
			return nil, fmt.Errorf("want ascending levels in (0, 1), got %s", s)
		}
	}
	return ps, nil
}

// formatValue prints a forecast number with enough digits to round-trip.
func formatValue(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// writeTable writes a CSV table to path atomically, or to stdout when path
// is "" or "-".
func writeTable(path string, stdout io.Writer, header []string, rows [][]string) error {
	write := func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write(header)
		cw.WriteAll(rows)
		return cw.Error()
	}
	if path == "" || path == "-" {
		bw := bufio.NewWriter(stdout)
		if err := write(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	return atomicfile.WriteFile(path, write)
}
