package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/autoreg/autoreg/ar"
	"github.com/autoreg/autoreg/dist"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/series"
	"github.com/autoreg/autoreg/train"
	"github.com/autoreg/autoreg/wavfile"
)

// flagValue returns the last value given to --name (or -name) in args, as
// the flag package would parse it, or "".
func flagValue(args []string, name string) string {
	var v string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		trimmed := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if trimmed == a {
			continue
		}
		switch {
		case trimmed == name && i+1 < len(args):
			v = args[i+1]
			i++
		case strings.HasPrefix(trimmed, name+"="):
			v = trimmed[len(name)+1:]
		}
	}
	return v
}

// realFlagSet makes the flag set of the real-valued form of a command: its
// usage message gives that form's synopsis and summary, then the flags.
func realFlagSet(name, summary, usage string) *flag.FlagSet {
	// newFlagSet lists the flags; under a name no command has it prints
	// no synopsis of its own.
	fs := newFlagSet(name + " (real-valued)")
	flags := fs.Usage
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: autoreg %s %s\n\n%s\n\n", name, usage, summary)
		flags()
	}
	return fs
}

// seriesFlags are the flags of the commands that read a CSV series.
type seriesFlags struct {
	data    string
	columns stringList
	time    string
	id      string
}

func (sf *seriesFlags) register(fs *flag.FlagSet, what string) {
	fs.StringVar(&sf.data, "data", "", what+": a CSV `FILE` with a header line, or a WAV file (its integer samples, a column per channel)")
	fs.Var(&sf.columns, "column", "the value column's `NAME` (repeatable, one per dimension; default: the model's, or the file's one numeric column)")
	fs.StringVar(&sf.time, "time", "", "the time column's `NAME`, kept for plots and tables (default: the model's, when the file has it)")
	fs.StringVar(&sf.id, "id", "", "the series-id column's `NAME`: rows with the same id form one series")
}

// wav reports whether the data file (--data, or the one positional
// argument) is a WAV file.
func (sf *seriesFlags) wav(args []string) bool {
	path := sf.data
	if path == "" && len(args) == 1 {
		path = args[0]
	}
	return strings.EqualFold(filepath.Ext(path), ".wav")
}

// read reads the series; a model's META supplies the default columns and
// time column. Positional arguments name the file when --data does not.
func (sf *seriesFlags) read(args []string, meta *modelfile.Meta) ([]*series.Series, error) {
	path := sf.data
	switch {
	case path == "" && len(args) == 1:
		path = args[0]
	case len(args) > 0:
		return nil, usagef("unexpected arguments %q", args)
	case path == "":
		return nil, usagef("--data is required")
	}
	if strings.EqualFold(filepath.Ext(path), ".wav") {
		return sf.readWAV(path, meta)
	}
	opt := series.Options{Columns: sf.columns, Time: sf.time, ID: sf.id}
	timeDefault := false
	if meta != nil {
		if len(opt.Columns) == 0 {
			opt.Columns = meta.Columns
		}
		if opt.Time == "" && meta.Time != "" {
			opt.Time, timeDefault = meta.Time, true
		}
	}
	ss, err := series.ReadFile(path, opt)
	if err != nil && timeDefault {
		// The model's time column is only a default: a file without it
		// is read without times.
		opt.Time = ""
		if ss2, err2 := series.ReadFile(path, opt); err2 == nil {
			return ss2, nil
		}
	}
	if err == nil && meta != nil && len(ss[0].Columns) != len(meta.Columns) {
		return nil, fmt.Errorf("%s: %d value columns, the model has %d (%s)", path, len(ss[0].Columns), len(meta.Columns), strings.Join(meta.Columns, ", "))
	}
	return ss, err
}

// readWAV reads the samples of a WAV file of integer (or G.711) samples
// as one series of integer values, a dimension per channel: "sample" for
// mono, "ch1", "ch2", … otherwise (the model's names when it has them).
// A step is a frame; Lines numbers the frames from 1.
func (sf *seriesFlags) readWAV(path string, meta *modelfile.Meta) ([]*series.Series, error) {
	if sf.time != "" || sf.id != "" {
		return nil, usagef("%s: a WAV file has no --time or --id column", path)
	}
	wf, err := wavfile.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ints, err := wf.Ints(nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	ch := wf.Format.Channels
	cols := []string(sf.columns)
	if len(cols) == 0 && meta != nil {
		cols = meta.Columns
	}
	if len(cols) == 0 {
		cols = []string{"sample"}
		if ch > 1 {
			cols = make([]string, ch)
			for i := range cols {
				cols[i] = fmt.Sprintf("ch%d", i+1)
			}
		}
	}
	if len(cols) != ch {
		return nil, fmt.Errorf("%s holds %d channel(s) of samples; %d columns are named (%s)", path, ch, len(cols), strings.Join(cols, ", "))
	}
	s := &series.Series{Columns: cols, Values: make([]float64, len(ints)), Lines: make([]int, len(ints)/ch)}
	for i, v := range ints {
		s.Values[i] = float64(v)
	}
	for t := range s.Lines {
		s.Lines[t] = t + 1
	}
	return []*series.Series{s}, nil
}

// loadReal reads a real-valued model file.
func loadReal(path string) (*modelfile.File, error) {
	if path == "" {
		return nil, usagef("--model is required")
	}
	f, err := modelfile.ReadAny(path)
	if err != nil {
		return nil, err
	}
	if f.Real == nil {
		return nil, fmt.Errorf("%s holds a token model (family %s), not a real-valued one", path, f.Meta.Family)
	}
	return f, nil
}

// checkSplit validates a --test-split fraction.
func checkSplit(name string, f float64, allowZero bool) error {
	if f < 0 || f >= 1 || (!allowZero && f == 0) || math.IsNaN(f) {
		return usagef("--%s %g: want a fraction in (0, 1)", name, f)
	}
	return nil
}

// finiteJSON replaces NaN and infinities, which JSON cannot hold, by null.
func finiteJSON(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

// writeJSON prints one JSON object.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	return enc.Encode(v)
}

// printRealInfo is `autoreg info` for a real-valued model file.
func printRealInfo(w io.Writer, path string, f *modelfile.File, asJSON bool) error {
	info := map[string]any{
		"file": path, "format": f.Format, "bytes": fileSize(path), "sha256": fmt.Sprintf("%x", f.SHA256),
		"family": f.Meta.Family, "dim": f.Real.Dim(), "columns": f.Meta.Columns,
	}
	if f.Meta.Time != "" {
		info["time"] = f.Meta.Time
	}
	if len(f.Meta.Config) > 0 {
		info["config"] = f.Meta.Config
	}
	if len(f.Meta.Training) > 0 {
		info["training"] = f.Meta.Training
	}
	m, isAR := f.Real.(*ar.Model)
	if isAR {
		model := map[string]any{"order": m.Order(), "intercept": m.Intercept, "coefficients": m.Coef, "sigma2": m.Sigma2,
			"standardized": m.Standardized, "mean": m.Mean, "scale": m.Scale}
		if m.Mix != nil {
			model["mixture"] = map[string]any{"weights": m.Mix.Weights, "means": m.Mix.Means, "variances": m.Mix.Vars}
		}
		info["model"] = model
	}
	nm, isNeural := f.Real.(train.RealModel)
	if isNeural {
		mean, scale := nm.Standardization()
		model := map[string]any{"head": nm.Head().String(), "lags": nm.Lags(), "highway": nm.Highway(), "mean": mean, "scale": scale,
			"parameters": nm.Arena().Count()}
		if h := nm.Head(); h.Kind == dist.KindDiscretizedLogistic {
			model["grid"] = h.Grid
		}
		info["model"] = model
	}
	if asJSON {
		return writeJSON(w, info)
	}
	fmt.Fprintf(w, "file        %s (%s, %s)\n", path, f.Format, humanBytes(fileSize(path)))
	fmt.Fprintf(w, "sha256      %x\n", f.SHA256)
	fmt.Fprintf(w, "family      %s (real-valued, %d value(s) per step: %s)\n", f.Meta.Family, f.Real.Dim(), strings.Join(f.Meta.Columns, ", "))
	if f.Meta.Time != "" {
		fmt.Fprintf(w, "time        column %q\n", f.Meta.Time)
	}
	if isAR {
		units := "data units"
		if m.Standardized {
			units = fmt.Sprintf("standardized units: (x − %.6g)/%.6g", m.Mean, m.Scale)
		}
		fmt.Fprintf(w, "model       AR(%d) with intercept, in %s\n", m.Order(), units)
		fmt.Fprintf(w, "            c %.6g, φ %s\n", m.Intercept, shortList(m.Coef, 6))
		if m.Mix == nil {
			fmt.Fprintf(w, "innovations Gaussian, σ² %.6g\n", m.Sigma2)
		} else {
			fmt.Fprintf(w, "innovations %d-Gaussian mixture: weights %s, means %s, variances %s\n", m.Mix.K(), shortList(m.Mix.Weights, 5), shortList(m.Mix.Means, 5), shortList(m.Mix.Vars, 5))
		}
	}
	if isNeural {
		mean, scale := nm.Standardization()
		fmt.Fprintf(w, "model       %s parameters over standardized values (x − %s)/%s\n", thousands(int64(nm.Arena().Count())), shortList(mean, 4), shortList(scale, 4))
		fmt.Fprintf(w, "head        %s\n", nm.Head())
		lags := "none (the last value only)"
		if l := nm.Lags(); len(l) > 0 {
			lags = strings.Trim(strings.ReplaceAll(fmt.Sprint(l), " ", ","), "[]") + " (and the last value)"
		}
		fmt.Fprintf(w, "lags        %s\n", lags)
		if nm.Highway() {
			fmt.Fprintf(w, "highway     a linear map from the inputs to the head beside the network\n")
		}
	}
	if len(f.Meta.Config) > 0 {
		fmt.Fprintf(w, "config      %s\n", f.Meta.Config)
	}
	if len(f.Meta.Training) > 0 {
		fmt.Fprintf(w, "training    %s\n", f.Meta.Training)
	}
	return nil
}

// shortList prints up to n numbers and how many more there are.
func shortList(xs []float64, n int) string {
	var parts []string
	for i, v := range xs {
		if i == n {
			parts = append(parts, fmt.Sprintf("… (%d in all)", len(xs)))
			break
		}
		parts = append(parts, fmt.Sprintf("%.4g", v))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// runInfoReal is `autoreg info` on a real-valued model file.
func runInfoReal(w io.Writer, path string, asJSON bool) error {
	f, err := loadReal(path)
	if err != nil {
		return err
	}
	return printRealInfo(w, path, f, asJSON)
}
