package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/autoreg/autoreg/dist"
	"github.com/autoreg/autoreg/internal/realio"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/series"
	"github.com/autoreg/autoreg/train"
)

// realTrainFlags are the flags that make `autoreg train` with a neural
// architecture read series instead of text.
var realTrainFlags = []string{"column", "head", "lags", "highway", "grid", "id", "time", "test-split"}

// isRealTraining reports whether a neural `autoreg train` command line is
// for real-valued series: it names a column, a head, lags or a test split,
// or a .csv --data without a --tokenizer, or resumes a real-valued
// checkpoint.
func isRealTraining(args []string) bool {
	for _, name := range realTrainFlags {
		if hasFlag(args, name) {
			return true
		}
	}
	if strings.EqualFold(filepath.Ext(flagValue(args, "data")), ".csv") && !hasFlag(args, "tokenizer") {
		return true
	}
	if hasFlag(args, "resume") {
		if out := flagValue(args, "out"); out != "" {
			return modelfile.IsRealFile(out)
		}
	}
	if in := flagValue(args, "init"); in != "" {
		return modelfile.IsRealFile(in)
	}
	return false
}

// hasFlag reports whether args set --name (or -name), with or without a
// value.
func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == "--" {
			break
		}
		t := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if t != a && (t == name || strings.HasPrefix(t, name+"=")) {
			return true
		}
	}
	return false
}

// runTrainReal is `autoreg train --arch lstm|gru|gpt` on CSV series: a
// neural network with a distribution head over the standardized series,
// trained with every feature of the text trainer (validation and the best
// model, checkpoints, exact --resume, the step log and the loss chart).
func runTrainReal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := realFlagSet("train", "Train an LSTM, GRU or GPT on real-valued series (CSV columns), predicting each step's distribution through a head; the series are standardized with the training part's mean and scale, which the model file keeps.",
		"--arch lstm|gru|gpt --data FILE.csv --column NAME --out FILE [--head gaussian|student-t|mog:K|dlogistic:K] [--lags L,...] [--test-split 0.2] [--valid-split F] [flags]")
	var sf seriesFlags
	sf.register(fs, "training series")
	f := &trainFlags{}
	fs.StringVar(&f.arch, "arch", "lstm", "model architecture: `lstm`, gru or gpt (ar has its own form)")
	fs.StringVar(&f.out, "out", "", "where to write the model `FILE` (required)")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed: the same seed gives the same model")
	head := fs.String("head", "gaussian", "the output distribution of a step: gaussian, student-t, mog:K (K Gaussians) or dlogistic:K (K discretized logistics over --grid)")
	lags := fs.String("lags", "", "extra lagged values in each step's input, e.g. `7,14,364,365` (the last value is always there)")
	highway := fs.Bool("highway", false, "add a linear map from each step's inputs to the head's parameters beside the network (LSTNet's autoregressive highway), so the model extrapolates levels as AR does")
	grid := fs.String("grid", "", "dlogistic: the bins `LO,STEP,N` in the data's units (N bins of width STEP centred from LO; the end bins are open)")
	testSplit := fs.Float64("test-split", 0.2, "hold out the last `FRACTION` of every series for evaluation (never read in training; 0 = train on all)")
	fs.Float64Var(&f.validSplit, "valid-split", 0, "validate on the last `FRACTION` of each series' training part (every value one step ahead on the whole past), keeping the best model in OUT.best")
	f.registerNeural(fs, neuralDefaults{layers: 2, dim: 64, context: 64, batch: 16, lr: 3e-3, steps: 1000, weightDecay: 0.01},
		"", "window in steps (GPT; the state keeps between half and all of it) or truncated BPTT length (LSTM, GRU)")
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := checkOut("--out", f.out); err != nil {
		return err
	}
	var tr *train.Trainer
	var rec realRecord
	if f.resume {
		ck, err := train.ReadCheckpoint(f.out)
		if err != nil {
			return err
		}
		if _, ok := ck.Trainer.Model.(train.RealModel); !ok {
			return fmt.Errorf("%s holds a token model's checkpoint; resume it without the series flags", f.out)
		}
		tr = ck.Trainer
		tr.Opts.MaxTime = f.maxTime
		if len(ck.Meta.Training) > 0 {
			_ = json.Unmarshal(ck.Meta.Training, &rec)
		}
		if sf.data == "" && len(pos) == 0 {
			if rec.Data == "" {
				return usagef("--resume: give --data (the checkpoint does not record its series)")
			}
			sf.data = rec.Data
		}
		if sf.id == "" {
			sf.id = rec.ID
		}
		*testSplit, f.validSplit = rec.TestSplit, rec.ValidSplit
		f.arch = strings.TrimSuffix(ck.Meta.Family, "-real")
		meta := ck.Meta
		ss, err := sf.read(pos, &meta)
		if err != nil {
			return err
		}
		if sf.time == "" {
			sf.time = meta.Time
		}
		return trainSeries(ctx, stderr, f, tr, ss, sf.time, rec)
	}
	if f.exposure.init != "" {
		return fineTuneSeries(ctx, stderr, f, &sf, pos, *testSplit, fs)
	}
	if err := checkSplit("test-split", *testSplit, true); err != nil {
		return err
	}
	if f.validSplit < 0 || f.validSplit >= 1 || math.IsNaN(f.validSplit) {
		return usagef("--valid-split %g: want a fraction in [0, 1)", f.validSplit)
	}
	h, err := dist.ParseHead(*head)
	if err != nil {
		return usagef("--head: %v", err)
	}
	lagList, err := realio.ParseLags(*lags)
	if err != nil {
		return usagef("--lags: %v", err)
	}
	ss, err := sf.read(pos, nil)
	if err != nil {
		return err
	}
	rec = realRecord{Data: sf.data, ID: sf.id, TestSplit: *testSplit, ValidSplit: f.validSplit}
	if rec.Data == "" {
		rec.Data = pos[0]
	}
	// The standardization: the training parts' mean and population
	// standard deviation (pooled over the dimensions for dlogistic, whose
	// grid the dimensions share).
	d := ss[0].Dim()
	var parts [][]float64
	for _, s := range ss {
		parts = append(parts, s.Values[:series.TrainLen(s.Len(), *testSplit)*d])
	}
	mean, scale, err := series.MeanStd(parts, d, h.Kind == dist.KindDiscretizedLogistic)
	if err != nil {
		return fmt.Errorf("%s: training part: %w", rec.Data, err)
	}
	if h.Kind == dist.KindDiscretizedLogistic {
		g, err := parseGrid(*grid)
		if err != nil {
			return err
		}
		h.Grid = dist.Grid{Lo: (g.Lo - mean[0]) / scale[0], Step: g.Step / scale[0], N: g.N}
	} else if *grid != "" {
		return usagef("--grid is for the dlogistic head")
	}
	m, err := train.NewRealModel(train.Arch{Family: f.arch, Layers: f.layers, Dim: f.dim, Heads: f.heads, Context: f.context, Dropout: f.dropout},
		train.Real{Head: h, Lags: lagList, Mean: mean, Scale: scale, Highway: *highway}, f.seed)
	if err != nil {
		return usagef("%v", err)
	}
	opts := train.Options{Batch: f.batch, Context: f.context, Steps: f.steps, Accum: f.accum,
		LR: f.lr, Warmup: f.warmup, WeightDecay: f.weightDec, Beta2: f.beta2, Clip: f.clip, Seed: f.seed,
		EvalEvery: f.evalEvery, MaxTime: f.maxTime}
	if opts, err = f.exposure.set(opts, ""); err != nil {
		return err
	}
	if tr, err = train.New(m, opts); err != nil {
		return usagef("%v", err)
	}
	return trainSeries(ctx, stderr, f, tr, ss, sf.time, rec)
}

// fineTuneSeries starts a new run from the weights, architecture, head,
// lags and standardization of the --init model file (fine-tuning, such as
// minimum risk training of a model trained by likelihood) on the series.
func fineTuneSeries(ctx context.Context, stderr io.Writer, f *trainFlags, sf *seriesFlags, pos []string, testSplit float64, fs *flag.FlagSet) error {
	for _, name := range []string{"arch", "head", "lags", "highway", "grid", "layers", "dim", "heads", "context", "dropout"} {
		if flagSet(fs, name) {
			return usagef("--init: the model comes from %s; --%s cannot change it", f.exposure.init, name)
		}
	}
	if err := checkSplit("test-split", testSplit, true); err != nil {
		return err
	}
	if f.validSplit < 0 || f.validSplit >= 1 || math.IsNaN(f.validSplit) {
		return usagef("--valid-split %g: want a fraction in [0, 1)", f.validSplit)
	}
	init, err := modelfile.ReadAny(f.exposure.init)
	if err != nil {
		return err
	}
	m, ok := init.Real.(train.RealModel)
	if !ok {
		return usagef("--init %s: a %s model, not a neural real-valued one (lstm, gru or gpt)", f.exposure.init, init.Meta.Family)
	}
	f.arch = strings.TrimSuffix(init.Meta.Family, "-real")
	if c, ok := m.(interface{ ContextLen() int }); ok {
		f.context = c.ContextLen() // a GPT's window; an RNN's BPTT length stays --context
	}
	ss, err := sf.read(pos, nil)
	if err != nil {
		return err
	}
	if ss[0].Dim() != m.Dim() {
		return fmt.Errorf("%s: %d columns, the model of %s reads %d", sf.data, ss[0].Dim(), f.exposure.init, m.Dim())
	}
	rec := realRecord{Data: sf.data, ID: sf.id, TestSplit: testSplit, ValidSplit: f.validSplit, Init: f.exposure.init}
	if rec.Data == "" {
		rec.Data = pos[0]
	}
	opts := train.Options{Batch: f.batch, Context: f.context, Steps: f.steps, Accum: f.accum,
		LR: f.lr, Warmup: f.warmup, WeightDecay: f.weightDec, Beta2: f.beta2, Clip: f.clip, Seed: f.seed,
		EvalEvery: f.evalEvery, MaxTime: f.maxTime}
	if opts, err = f.exposure.set(opts, ""); err != nil {
		return err
	}
	tr, err := train.New(m, opts)
	if err != nil {
		return usagef("%v", err)
	}
	return trainSeries(ctx, stderr, f, tr, ss, sf.time, rec)
}

// realRecord is what a real-valued model's META training record keeps of
// its data, so that --resume reads the same series the same way.
type realRecord struct {
	Data       string  `json:"data"`
	ID         string  `json:"id,omitempty"`
	TestSplit  float64 `json:"test_split"`
	ValidSplit float64 `json:"valid_split"`
	Init       string  `json:"init,omitempty"` // the model file fine-tuned
}

// trainSeries runs tr on the training parts of ss (whose time column is
// timeName), split as rec says.
func trainSeries(ctx context.Context, stderr io.Writer, f *trainFlags, tr *train.Trainer, ss []*series.Series, timeName string, rec realRecord) error {
	m := tr.Model.(train.RealModel)
	meta, err := train.RealMeta(m, ss[0].Columns, timeName)
	if err != nil {
		return err
	}
	var data train.Data
	trainSteps, validSteps := 0, 0
	for _, s := range ss {
		n := series.TrainLen(s.Len(), rec.TestSplit)
		v := n
		if rec.ValidSplit > 0 {
			v = series.TrainLen(n, rec.ValidSplit)
		}
		data.Series = append(data.Series, train.Series{Values: s.Values[:n*s.Dim()], Train: v})
		trainSteps += v
		validSteps += n - v
	}
	training := map[string]any{"data": rec.Data, "test_split": rec.TestSplit, "valid_split": rec.ValidSplit,
		"series": len(ss), "train_steps": trainSteps, "valid_steps": validSteps}
	if rec.ID != "" {
		training["id"] = rec.ID
	}
	if rec.Init != "" {
		training["init"] = rec.Init
	}
	lnScale := realLnScale(m)
	banner := fmt.Sprintf("training %s on %s (%s): %s parameters, %d series, %s training steps, %s validation steps, %d steps of %d×%d×%d",
		f.arch, rec.Data, strings.Join(ss[0].Columns, ", "), thousands(int64(m.Arena().Count())), len(ss), thousands(int64(trainSteps)),
		thousands(int64(validSteps)), tr.Opts.Steps, tr.Opts.Accum, tr.Opts.Batch, tr.Opts.Context)
	return runTraining(ctx, stderr, f, &trainingRun{tr: tr, meta: meta, training: training, unit: "step", banner: banner, data: data,
		done: func(tr *train.Trainer) string {
			return fmt.Sprintf(" (standardized; %.4f nats/value in the data's units)", tr.BestVal+lnScale)
		}})
}

// realLnScale is what a standardized NLL per value adds to become one in
// the data's units: the mean over the dimensions of ln scale (0 for a
// dlogistic head, whose bin masses have no unit).
func realLnScale(m train.RealModel) float64 {
	_, scale := m.Standardization()
	if m.Head().Kind == dist.KindDiscretizedLogistic {
		return 0
	}
	var l float64
	for _, s := range scale {
		l += math.Log(s)
	}
	return l / float64(len(scale))
}

// parseGrid reads --grid LO,STEP,N.
func parseGrid(s string) (dist.Grid, error) {
	parts := strings.Split(s, ",")
	if s == "" {
		return dist.Grid{}, usagef("--head dlogistic:K needs --grid LO,STEP,N (the bins in the data's units, e.g. -32768,1,65536 for 16-bit audio)")
	}
	if len(parts) == 3 {
		lo, e1 := strconv.ParseFloat(parts[0], 64)
		step, e2 := strconv.ParseFloat(parts[1], 64)
		n, e3 := strconv.Atoi(parts[2])
		g := dist.Grid{Lo: lo, Step: step, N: n}
		if e1 == nil && e2 == nil && e3 == nil && n >= 2 && n <= 1<<24 && step > 0 && !math.IsInf(lo, 0) && !math.IsInf(step, 0) {
			return g, nil
		}
	}
	return dist.Grid{}, usagef("--grid %q: want LO,STEP,N with STEP > 0 and N in 2..%d", s, 1<<24)
}
