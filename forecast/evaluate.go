package forecast

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/autoreg/autoreg"
)

// Data is one series to score: Values holds its steps row-major (step t is
// Values[t·D:(t+1)·D], D the model's dimension, NaN missing), of which the
// first Train steps are the training part and the rest the test part.
type Data struct {
	Values []float64
	Train  int
}

// Options configures Evaluate.
type Options struct {
	// Season is the S of MASE and of the seasonal naive baseline (0 = 1:
	// the naive random walk).
	Season int
	// Horizon > 0 adds the rolling evaluation: from every origin of the
	// test part, Samples paths of Horizon steps.
	Horizon int
	// Samples is the number of paths per origin (0 = 200).
	Samples int
	// Seed seeds the paths: origin o of series s uses the generator
	// PCG(Seed, s<<32 | o), so results do not depend on Workers.
	Seed uint64
	// Workers is the number of goroutines of the rolling evaluation (0 =
	// GOMAXPROCS). Results are identical for any value.
	Workers int
	// Progress, if set, is called with the origins done and their total
	// (from one goroutine at a time).
	Progress func(done, total int)
	// NLLOnly scores only the negative log-likelihood, skipping the
	// predictive mean and the scores built on it (MAE, RMSE, MASE, left
	// NaN) and the CRPS: for a discretized logistic over 65,536 levels
	// (16-bit sound) those cost thousands of CDF evaluations a value,
	// while a value's log-probability is one CDF difference per mixture
	// component. A Data's Train may then be 0: every value is scored, the
	// first from the empty history (what a coder of the whole file
	// spends). No rolling evaluation.
	NLLOnly bool
}

// Result holds the scores of the one-step evaluation and, with a horizon,
// of the rolling one.
type Result struct {
	// Points is the number of scored values (test values not missing).
	Points int
	// NLL and NLLStd are the mean negative log-likelihood per value in nats,
	// raw and standardized.
	NLL, NLLStd float64
	// MAE and RMSE are of the predictive mean; MASE divides each absolute
	// error by its series' in-sample seasonal naive MAE (NaN where that is
	// 0).
	MAE, RMSE, MASE float64
	// CRPS is the mean CRPS in the data's units, computed by CRPSMethod.
	CRPS       float64
	CRPSMethod string
	// Rolling holds the multi-step scores (nil without a horizon).
	Rolling *Rolling
}

// Rolling holds the scores of forecasts from every origin of the test part.
type Rolling struct {
	Horizon, Samples, Origins int
	// Leads holds the scores per lead 1..Horizon; All pools every lead.
	Leads []Lead
	All   Lead
	// OriginCRPS is the model's fair CRPS of every origin (in order,
	// series after series) at every lead: entry o·Horizon + h is lead h+1
	// from origin o, the mean over its scored dimensions, NaN where none
	// is scored. Paired comparisons of two models resample it.
	OriginCRPS []float64
}

// Lead is the scores at one lead time (Lead 0 for all leads pooled). A
// point is scored when its value and the baseline's reference value are
// both present, so the model and the baseline see the same points.
type Lead struct {
	Lead, Points    int
	Model, Baseline Scores
}

// Scores are means over the scored points.
type Scores struct {
	// CRPS: the fair ensemble estimator over the paths for the model, the
	// closed form for the Gaussian baseline.
	CRPS float64
	// Cover50 and Cover90 are the shares of values inside the central 50%
	// and 90% intervals.
	Cover50, Cover90 float64
	// MAE is of the paths' mean (the baseline's: its centre).
	MAE float64
}

// z quantiles of the central intervals.
var (
	z75 = 0.6744897501960817 // Φ⁻¹(0.75)
	z95 = 1.6448536269514722 // Φ⁻¹(0.95)
)

// Evaluate scores m on the test parts of data.
func Evaluate(ctx context.Context, m autoreg.RealModel, data []Data, opt Options) (*Result, error) {
	d := m.Dim()
	if opt.Season <= 0 {
		opt.Season = 1
	}
	if opt.Samples <= 0 {
		opt.Samples = 200
	}
	if opt.Horizon > 0 && opt.Samples < 2 {
		return nil, errors.New("forecast: the rolling evaluation needs at least 2 sample paths")
	}
	if opt.NLLOnly {
		if opt.Horizon > 0 {
			return nil, errors.New("forecast: an NLL-only evaluation has no rolling forecasts")
		}
		return evaluateNLL(ctx, m, data)
	}
	stats := make([]trainStats, len(data))
	for s, dt := range data {
		if len(dt.Values)%d != 0 {
			return nil, fmt.Errorf("forecast: series %d has %d values, not whole steps of %d", s, len(dt.Values), d)
		}
		n := len(dt.Values) / d
		if dt.Train < 1 || dt.Train >= n {
			return nil, fmt.Errorf("forecast: series %d: a training part of %d of %d steps leaves no test part", s, dt.Train, n)
		}
		var err error
		if stats[s], err = newTrainStats(dt, d, opt.Season); err != nil {
			return nil, fmt.Errorf("forecast: series %d: %w", s, err)
		}
	}
	res := &Result{}
	var sumAbs, sumSq, sumScaled, sumCRPS float64
	for s, dt := range data {
		st := m.NewRealState()
		st.Append(dt.Values[:dt.Train*d]...)
		n := len(dt.Values) / d
		for t := dt.Train; t < n; t++ {
			if (t-dt.Train)%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			pd := st.Predict()
			step := dt.Values[t*d : (t+1)*d]
			for i, y := range step {
				if math.IsNaN(y) {
					continue
				}
				lp := pd.LogProb(i, y)
				res.NLL -= lp
				res.NLLStd -= lp + stats[s].lnScale[i]
				e := y - pd.Mean(i)
				sumAbs += math.Abs(e)
				sumSq += e * e
				sumScaled += math.Abs(e) / stats[s].naiveMAE[i]
				c, method := CRPS(pd, i, y)
				sumCRPS += c
				if res.CRPSMethod == "" || res.CRPSMethod == method {
					res.CRPSMethod = method
				} else {
					res.CRPSMethod = "mixed"
				}
				res.Points++
			}
			st.Append(step...)
		}
	}
	if res.Points == 0 {
		return nil, errors.New("forecast: every test value is missing")
	}
	np := float64(res.Points)
	res.NLL /= np
	res.NLLStd /= np
	res.MAE, res.RMSE, res.MASE, res.CRPS = sumAbs/np, math.Sqrt(sumSq/np), sumScaled/np, sumCRPS/np
	if opt.Horizon > 0 {
		var err error
		if res.Rolling, err = rolling(ctx, m, data, stats, opt); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// trainStats are what the scores need from a series' training part, per
// dimension.
type trainStats struct {
	lnScale  []float64 // ln of the population standard deviation
	naiveMAE []float64 // mean |y[t] − y[t−S]| (MASE's scale)
	naiveVar []float64 // mean (y[t] − y[t−S])² (the baseline's σ²)
}

func newTrainStats(dt Data, d, season int) (trainStats, error) {
	ts := trainStats{lnScale: make([]float64, d), naiveMAE: make([]float64, d), naiveVar: make([]float64, d)}
	for i := range d {
		var sum, ss float64
		var n int
		for t := range dt.Train {
			if v := dt.Values[t*d+i]; !math.IsNaN(v) {
				sum += v
				n++
			}
		}
		mean := sum / float64(n)
		for t := range dt.Train {
			if v := dt.Values[t*d+i]; !math.IsNaN(v) {
				ss += (v - mean) * (v - mean)
			}
		}
		if n == 0 || !(ss > 0) {
			return ts, fmt.Errorf("dimension %d: the training part is constant or empty, so there is no scale to standardize by", i)
		}
		ts.lnScale[i] = 0.5 * math.Log(ss/float64(n))
		var abs, sq float64
		var k int
		for t := season; t < dt.Train; t++ {
			a, b := dt.Values[t*d+i], dt.Values[(t-season)*d+i]
			if !math.IsNaN(a) && !math.IsNaN(b) {
				abs += math.Abs(a - b)
				sq += (a - b) * (a - b)
				k++
			}
		}
		if k == 0 {
			return ts, fmt.Errorf("dimension %d: no pair of training values %d steps apart for the seasonal naive scale", i, season)
		}
		ts.naiveMAE[i], ts.naiveVar[i] = abs/float64(k), sq/float64(k)
	}
	return ts, nil
}

// entry is one scored (origin, lead, dimension): the model's and the
// baseline's CRPS, interval hits and absolute error.
type entry struct {
	ok          bool
	model, base [4]float64
}

// rolling runs the multi-step evaluation. Every origin's entries are stored
// and summed in one fixed order at the end, so the result does not depend
// on the number of workers.
func rolling(ctx context.Context, m autoreg.RealModel, data []Data, stats []trainStats, opt Options) (*Rolling, error) {
	d, H, M := m.Dim(), opt.Horizon, opt.Samples
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	total := 0
	for _, dt := range data {
		total += len(dt.Values)/d - dt.Train
	}
	ro := &Rolling{Horizon: H, Samples: M, Origins: total, Leads: make([]Lead, H)}
	entries := make([]entry, total*H*d)
	var mu sync.Mutex
	done := 0
	base := 0
	for s, dt := range data {
		n := len(dt.Values) / d
		origins := n - dt.Train
		w := min(workers, origins)
		var wg sync.WaitGroup
		errs := make([]error, w)
		for k := range w {
			lo, hi := dt.Train+origins*k/w, dt.Train+origins*(k+1)/w
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[k] = rollRange(ctx, m, dt, s, lo, hi, stats[s], opt, entries[(base+lo-dt.Train)*H*d:(base+hi-dt.Train)*H*d], func() {
					if opt.Progress == nil {
						return
					}
					mu.Lock()
					done++
					opt.Progress(done, total)
					mu.Unlock()
				})
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
		base += origins
	}
	ro.OriginCRPS = make([]float64, total*H)
	for o := range total {
		for h := range H {
			var sum float64
			n := 0
			for i := range d {
				if e := entries[(o*H+h)*d+i]; e.ok {
					sum += e.model[0]
					n++
				}
			}
			ro.OriginCRPS[o*H+h] = math.NaN()
			if n > 0 {
				ro.OriginCRPS[o*H+h] = sum / float64(n)
			}
		}
	}
	var all Lead
	for h := range H {
		ld := &ro.Leads[h]
		ld.Lead = h + 1
		for o := range total {
			for i := range d {
				e := entries[(o*H+h)*d+i]
				if !e.ok {
					continue
				}
				ld.Points++
				ld.Model.add(e.model)
				ld.Baseline.add(e.base)
			}
		}
		all.Points += ld.Points
		all.Model.addScores(ld.Model)
		all.Baseline.addScores(ld.Baseline)
		ld.Model.div(ld.Points)
		ld.Baseline.div(ld.Points)
	}
	all.Model.div(all.Points)
	all.Baseline.div(all.Points)
	ro.All = all
	return ro, nil
}

func (s *Scores) add(v [4]float64) {
	s.CRPS += v[0]
	s.Cover50 += v[1]
	s.Cover90 += v[2]
	s.MAE += v[3]
}

func (s *Scores) addScores(o Scores) { s.add([4]float64{o.CRPS, o.Cover50, o.Cover90, o.MAE}) }

func (s *Scores) div(n int) {
	if n == 0 {
		*s = Scores{CRPS: math.NaN(), Cover50: math.NaN(), Cover90: math.NaN(), MAE: math.NaN()}
		return
	}
	f := 1 / float64(n)
	s.CRPS, s.Cover50, s.Cover90, s.MAE = s.CRPS*f, s.Cover50*f, s.Cover90*f, s.MAE*f
}

// rollRange scores the origins lo..hi−1 of series s into out (H·D entries
// per origin).
func rollRange(ctx context.Context, m autoreg.RealModel, dt Data, s, lo, hi int, ts trainStats, opt Options, out []entry, tick func()) error {
	d, H, M := m.Dim(), opt.Horizon, opt.Samples
	n := len(dt.Values) / d
	st, work := m.NewRealState(), m.NewRealState()
	st.Append(dt.Values[:lo*d]...)
	paths := make([]float64, M*H*d)
	col := make([]float64, M)
	for o := lo; o < hi; o++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if o > lo {
			st.Append(dt.Values[(o-1)*d : o*d]...)
		}
		r := rand.New(rand.NewPCG(opt.Seed, uint64(s)<<32|uint64(o)))
		for p := range M {
			samplePath(paths[p*H*d:(p+1)*H*d], st, work, r)
		}
		for h := range H {
			tau := o + h
			k := (h + opt.Season) / opt.Season // ⌈(h+1)/S⌉
			ref := tau - opt.Season*k
			if tau >= n || ref < 0 {
				continue
			}
			for i := range d {
				y, yr := dt.Values[tau*d+i], dt.Values[ref*d+i]
				if math.IsNaN(y) || math.IsNaN(yr) {
					continue
				}
				var mean float64
				for p := range M {
					col[p] = paths[(p*H+h)*d+i]
					mean += col[p]
				}
				mean /= float64(M)
				e := &out[((o-lo)*H+h)*d+i]
				e.ok = true
				fair := FairCRPS(col, y) // sorts col
				e.model = [4]float64{fair,
					inside(y, SampleQuantile(col, 0.25), SampleQuantile(col, 0.75)),
					inside(y, SampleQuantile(col, 0.05), SampleQuantile(col, 0.95)),
					math.Abs(mean - y)}
				sd := math.Sqrt(float64(k) * ts.naiveVar[i])
				e.base = [4]float64{crpsMixture([]float64{0}, []float64{yr}, []float64{sd}, y),
					inside(y, yr-z75*sd, yr+z75*sd),
					inside(y, yr-z95*sd, yr+z95*sd),
					math.Abs(yr - y)}
			}
		}
		tick()
	}
	return nil
}

func inside(y, lo, hi float64) float64 {
	if y >= lo && y <= hi {
		return 1
	}
	return 0
}

// evaluateNLL is Evaluate with Options.NLLOnly.
func evaluateNLL(ctx context.Context, m autoreg.RealModel, data []Data) (*Result, error) {
	d := m.Dim()
	nan := math.NaN()
	res := &Result{NLLStd: nan, MAE: nan, RMSE: nan, MASE: nan, CRPS: nan, CRPSMethod: "not computed"}
	for s, dt := range data {
		n := len(dt.Values) / d
		if len(dt.Values)%d != 0 || dt.Train < 0 || dt.Train >= n {
			return nil, fmt.Errorf("forecast: series %d: %d values and a training part of %d steps leave no whole test step", s, len(dt.Values), dt.Train)
		}
		st := m.NewRealState()
		st.Append(dt.Values[:dt.Train*d]...)
		for t := dt.Train; t < n; t++ {
			if (t-dt.Train)%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			pd := st.Predict()
			step := dt.Values[t*d : (t+1)*d]
			for i, y := range step {
				if !math.IsNaN(y) {
					res.NLL -= pd.LogProb(i, y)
					res.Points++
				}
			}
			st.Append(step...)
		}
	}
	if res.Points == 0 {
		return nil, errors.New("forecast: every test value is missing")
	}
	res.NLL /= float64(res.Points)
	return res, nil
}
