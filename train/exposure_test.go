package train_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/gpt"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/rnn"
	"github.com/autoreg/autoreg/seq2seq"
	"github.com/autoreg/autoreg/tokenize"
	"github.com/autoreg/autoreg/train"
)

// The families that take scheduled sampling expose their predictions.
var (
	_ train.Predictor     = (*gpt.Model)(nil)
	_ train.Predictor     = (*rnn.Model)(nil)
	_ train.Predictor     = (*seq2seq.Model)(nil)
	_ train.RealPredictor = (*gpt.RealModel)(nil)
	_ train.RealPredictor = (*rnn.RealModel)(nil)
)

func TestEpsilonSchedules(t *testing.T) {
	for _, name := range train.Schedules {
		s, err := train.ParseSampling(name + ",floor=0.25,steps=100")
		if err != nil {
			t.Fatal(err)
		}
		if e := s.Epsilon(0, 1000); e != 1 {
			t.Errorf("%s: ε(0) = %g, want 1", name, e)
		}
		prev := 1.0
		for step := 1; step <= 300; step++ {
			e := s.Epsilon(step, 1000)
			if e > prev || e < 0.25 {
				t.Fatalf("%s: ε(%d) = %g after %g", name, step, e, prev)
			}
			prev = e
		}
		if e := s.Epsilon(100, 1000); e > 0.25+0.01*0.75+1e-12 {
			t.Errorf("%s: ε at the horizon %g, floor 0.25", name, e)
		}
		if e := s.Epsilon(50, 1000); name != "exp" && (e < 0.25+0.3*0.75 || e > 0.25+0.7*0.75) {
			t.Errorf("%s: ε half-way %g", name, e)
		}
	}
	// The horizon defaults to the run's steps.
	s := &train.Sampling{Schedule: "linear", Floor: 0.5}
	if e := s.Epsilon(50, 100); e != 0.75 {
		t.Errorf("linear half-way: %g, want 0.75", e)
	}
	for _, bad := range []string{"cosine", "linear,floor=2", "linear,steps=-1", "exp,greedy=1", "exp,x=1"} {
		if _, err := train.ParseSampling(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if s, err := train.ParseSampling("sigmoid,floor=0.1,greedy"); err != nil || !s.Greedy || s.Floor != 0.1 {
		t.Errorf("parse: %+v, %v", s, err)
	}
	n, err := train.ParseNoise("replace=0.1,delete=0.05,insert=0.02")
	if err != nil || n.Replace != 0.1 || n.Delete != 0.05 || n.Insert != 0.02 {
		t.Errorf("noise: %+v, %v", n, err)
	}
	for _, bad := range []string{"replace", "replace=2", "swap=0.1", "jitter=-1", "replace=0.6,delete=0.6"} {
		if _, err := train.ParseNoise(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// tinyPairs returns pairs whose target is the source reversed.
func tinyPairs(n int, seed uint64) ([]corpus.Pair, tokenize.Tokenizer) {
	tok, _ := tokenize.NewChar([]rune("abcdefgh"))
	rng := rand.New(rand.NewPCG(seed, 3))
	var out []corpus.Pair
	for range n {
		k := 2 + rng.IntN(6)
		src := make([]autoreg.Token, k)
		for i := range src {
			src[i] = autoreg.Token(rng.IntN(8))
		}
		tgt := make([]autoreg.Token, k)
		for i := range tgt {
			tgt[i] = src[k-1-i]
		}
		out = append(out, corpus.Pair{Src: src, Tgt: tgt})
	}
	return out, tok
}

// runs returns the trainers of the families scheduled sampling drives, all
// with options o, and their data: a GPT and an LSTM on tokens, an
// encoder-decoder on pairs, a GRU and a GPT on a series.
func exposureRuns(t *testing.T, o train.Options) (names []string, runs []*train.Trainer, data []train.Data) {
	t.Helper()
	toks, tok := tinyCorpus(2000, 1)
	valid, _ := tinyCorpus(300, 2)
	add := func(name string, m train.Trainable, err error, o train.Options, d train.Data) {
		if err != nil {
			t.Fatal(err)
		}
		tr, err := train.New(m, o)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		names, runs, data = append(names, name), append(runs, tr), append(data, d)
	}
	// Token noise goes to the token models, jitter to the real ones.
	ro := o
	if n := o.InputNoise; n != nil && n.Jitter == 0 {
		ro.InputNoise = nil
	} else if n != nil {
		o.InputNoise = nil
	}
	g, err := gpt.New(gpt.Config{Layers: 1, Dim: 16, Heads: 2, Context: 16, Dropout: 0.1}, tok.Vocab(), 1)
	add("gpt", g, err, o, train.Data{Train: toks, Valid: valid})
	r, err := rnn.New(rnn.Config{Cell: rnn.LSTM, Layers: 2, Hidden: 16, Embed: 8, Dropout: 0.1}, tok.Vocab(), 1)
	add("lstm", r, err, o, train.Data{Train: toks, Valid: valid})
	pairs, ptok := tinyPairs(200, 1)
	s, err := seq2seq.New(seq2seq.Config{EncLayers: 1, DecLayers: 1, Dim: 16, Heads: 2, FFN: 32, SrcContext: 12, Context: 12, Dropout: 0.1},
		ptok.Vocab(), ptok.Vocab(), 1)
	add("seq2seq", s, err, o, train.Data{TrainPairs: pairs[:160], ValidPairs: pairs[160:]})
	xs, mean, std := seasonal(600, 1)
	for _, fam := range []string{"gru", "gpt"} {
		tr := newRealRun(t, fam, mean, std, ro)
		names, runs = append(names, fam+"-real"), append(runs, tr)
		data = append(data, train.Data{Series: []train.Series{{Values: xs, Train: 480}}})
	}
	w, err := train.NewModel(train.Arch{Family: "wavenet", Layers: 3, Dim: 8}, tok.Vocab(), 1)
	add("wavenet", w, err, o, train.Data{Train: toks, Valid: valid})
	set, pix := stripes(40, 1)
	seqs, _ := set.Sequences(pix, corpus.Threshold, 7)
	po := o
	po.Context = seqs.SeqLen() - 1
	if n := o.InputNoise; n != nil {
		po.InputNoise = &train.Noise{Replace: n.Replace} // images keep their pixel grid
	}
	p, err := train.NewModel(train.Arch{Family: "pixelcnn", Layers: 2, Dim: 8, Image: pix.Shape()}, pix.Vocab(), 1)
	add("pixelcnn", p, err, po, train.Data{TrainSeqs: seqs})
	return names, runs, data
}

// exposureTokenizer returns the tokenizer of exposureRuns' run name.
func exposureTokenizer(name string) tokenize.Tokenizer {
	switch name {
	case "seq2seq":
		_, tok := tinyPairs(1, 1)
		return tok
	case "pixelcnn":
		_, tok := stripes(1, 1)
		return tok
	}
	_, tok := tinyCorpus(10, 1)
	return tok
}

// With ε = 1 throughout and zero noise rates, training is plain training,
// bit for bit, for every family scheduled sampling drives.
func TestEpsilonOneIsPlain(t *testing.T) {
	o := train.Options{Batch: 4, Context: 12, Steps: 6, Accum: 2, LR: 3e-3, Warmup: 2, Clip: 1, Seed: 7, EvalEvery: 3}
	names, plain, data := exposureRuns(t, o)
	o.ScheduledSampling = &train.Sampling{Schedule: "linear", Floor: 1}
	o.InputNoise = &train.Noise{}
	_, mixed, _ := exposureRuns(t, o)
	for i, name := range names {
		for _, tr := range []*train.Trainer{plain[i], mixed[i]} {
			if err := tr.Run(context.Background(), data[i]); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		for k, p := range plain[i].History {
			q := mixed[i].History[k]
			if p.Loss != q.Loss || p.ValLoss != q.ValLoss || q.Parts["ss_epsilon"] != 1 || q.Parts["ss_fed"] != 0 {
				t.Fatalf("%s step %d: plain %+v, ε = 1 %+v", name, p.Step, p, q)
			}
		}
		for j, v := range plain[i].Model.Arena().Params {
			if mixed[i].Model.Arena().Params[j] != v {
				t.Fatalf("%s: parameter %d differs", name, j)
			}
		}
	}
}

// With ε < 1 every family trains (finite losses, fed inputs reported at
// about 1 − ε) and resumes exactly from a checkpoint.
func TestSamplingResumeExact(t *testing.T) {
	o := train.Options{Batch: 4, Context: 12, Steps: 8, Accum: 2, LR: 3e-3, Warmup: 2, Clip: 1, Seed: 7, EvalEvery: 4, SaveEvery: 1}
	o.ScheduledSampling = &train.Sampling{Schedule: "linear", Floor: 0.2, Steps: 4}
	names, _, data := exposureRuns(t, o)
	for i, name := range names {
		t.Run(name, func(t *testing.T) {
			full := resumeAnyAt(t, func() *train.Trainer { _, r, _ := exposureRuns(t, o); return r[i] }, data[i], exposureTokenizer(name), 5)
			last := full.History[len(full.History)-1]
			t.Logf("last step: %+v", last)
			if eps, fed := last.Parts["ss_epsilon"], last.Parts["ss_fed"]; eps != 0.2 || fed < 0.6 || fed > 0.95 {
				t.Errorf("last step: ε %g, fed %g", eps, fed)
			}
		})
	}
}

// resumeAnyAt is resumeAt for a trainer of any kind (tokens, pairs,
// series).
func resumeAnyAt(t *testing.T, newRun func() *train.Trainer, data train.Data, tok tokenize.Tokenizer, at int) *train.Trainer {
	t.Helper()
	snap := filepath.Join(t.TempDir(), "snap.arm")
	full := newRun()
	file := modelfile.File{Tokenizer: tok}
	var err error
	switch m := full.Model.(type) {
	case train.RealModel:
		file.Tokenizer = nil
		file.Meta, err = train.RealMeta(m, []string{"value"}, "")
	case *seq2seq.Model:
		conf, _ := json.Marshal(m.Config())
		file.Meta = modelfile.Meta{Family: "seq2seq", Mode: corpus.Lines.String(), Config: conf}
		file.SourceTokenizer = tok
	case train.Model:
		file.Meta, err = train.Meta(m, corpus.Stream, corpus.Control{})
	}
	if err != nil {
		t.Fatal(err)
	}
	full.Checkpoint = func(tr *train.Trainer, r train.SaveReason) (string, error) {
		if r == train.SaveBest || tr.Step != at {
			return "", nil
		}
		return snap, tr.SaveFile(snap, file, true)
	}
	if err := full.Run(context.Background(), data); err != nil {
		t.Fatal(err)
	}
	checkResume(t, full, snap, data, at)
	return full
}

// Input noise, alone and with scheduled sampling, trains every kind of
// data and resumes exactly; the measured rates are in the history.
func TestNoiseResumeExact(t *testing.T) {
	o := train.Options{Batch: 4, Context: 12, Steps: 8, Accum: 2, LR: 3e-3, Warmup: 2, Clip: 1, Seed: 7, EvalEvery: 4, SaveEvery: 1}
	o.InputNoise = &train.Noise{Replace: 0.1, Delete: 0.1, Insert: 0.1}
	o.ScheduledSampling = &train.Sampling{Schedule: "exp", Floor: 0.5}
	for _, i := range []int{0, 1, 2, 4, 5, 6} {
		oi := o
		if i == 4 {
			oi.InputNoise = &train.Noise{Jitter: 0.2}
			oi.ScheduledSampling = nil
		}
		names, _, data := exposureRuns(t, oi)
		t.Run(names[i], func(t *testing.T) {
			full := resumeAnyAt(t, func() *train.Trainer { _, r, _ := exposureRuns(t, oi); return r[i] }, data[i], exposureTokenizer(names[i]), 3)
			last := full.History[len(full.History)-1]
			t.Logf("last step: %+v", last)
			for _, k := range []string{"noise_replace", "noise_delete", "noise_insert", "noise_jitter"} {
				edits := names[i] == "pixelcnn" && (k == "noise_delete" || k == "noise_insert") // images: replace only
				if v, ok := last.Parts[k]; ok && (v <= 0 && !edits || v > 0.4 || edits && v != 0) {
					t.Errorf("%s %g", k, v)
				}
			}
		})
	}
}

// Minimum risk training fine-tunes an encoder-decoder trained by
// likelihood: the risk (expected edit distance of its samples) falls, and
// the run resumes exactly.
func TestMRTFineTunes(t *testing.T) {
	pairs, ptok := tinyPairs(300, 1)
	for i := range pairs {
		pairs[i].Tgt = pairs[i].Src // copying: learnt in a few steps
	}
	data := train.Data{TrainPairs: pairs[:260], ValidPairs: pairs[260:]}
	cfg := seq2seq.Config{EncLayers: 1, DecLayers: 1, Dim: 16, Heads: 2, FFN: 32, SrcContext: 12, Context: 12}
	m, err := seq2seq.New(cfg, ptok.Vocab(), ptok.Vocab(), 1)
	if err != nil {
		t.Fatal(err)
	}
	pre, err := train.New(m, train.Options{Batch: 16, Context: 12, Steps: 60, LR: 1e-2, Warmup: 5, Clip: 1, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := pre.Run(context.Background(), data); err != nil {
		t.Fatal(err)
	}
	newRun := func() *train.Trainer {
		c, _ := seq2seq.New(cfg, ptok.Vocab(), ptok.Vocab(), 1)
		copy(c.Arena().Params, m.Arena().Params)
		tr, err := train.New(c, train.Options{Batch: 16, Context: 12, Steps: 30, LR: 1e-2, Warmup: 0, Clip: 1, Seed: 3,
			EvalEvery: 15, SaveEvery: 1, MRT: &train.MRT{Candidates: 6, Alpha: 1, MLE: 0.1}})
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	full := resumeAnyAt(t, newRun, data, ptok, 9)
	h := full.History
	first, last := meanRisk(h[:5]), meanRisk(h[len(h)-5:])
	t.Logf("risk %.3f → %.3f; candidates %.1f; validation %.3f", first, last, h[0].Parts["mrt_candidates"], h[len(h)-1].ValLoss)
	if !(last < first) || h[0].Parts["mrt_candidates"] < 1.5 {
		t.Errorf("risk %.3f then %.3f, %.1f candidates", first, last, h[0].Parts["mrt_candidates"])
	}
}

// Minimum risk training fine-tunes a forecasting model trained by
// likelihood, a feed-forward and a recurrent one: the risk (the CRPS of
// its sample paths) falls, and the run resumes exactly.
func TestMRTRealFineTunes(t *testing.T) {
	xs, mean, std := seasonal(600, 1)
	data := train.Data{Series: []train.Series{{Values: xs, Train: 480}}}
	for _, fam := range []string{"gpt", "gru"} {
		t.Run(fam, func(t *testing.T) {
			o := realOpts
			o.Steps = 80
			pre := newRealRun(t, fam, mean, std, o)
			if err := pre.Run(context.Background(), data); err != nil {
				t.Fatal(err)
			}
			newRun := func() *train.Trainer {
				o := train.Options{Batch: 4, Context: 16, Steps: 30, LR: 3e-3, Clip: 1, Seed: 3, EvalEvery: 15, SaveEvery: 1,
					MRT: &train.MRT{Candidates: 6, Alpha: 1, MLE: 0.1, Horizon: 6}}
				tr := newRealRun(t, fam, mean, std, o)
				copy(tr.Model.Arena().Params, pre.Model.Arena().Params)
				return tr
			}
			full := resumeAnyAt(t, newRun, data, nil, 9)
			h := full.History
			first, last := meanRisk(h[:10]), meanRisk(h[len(h)-10:])
			t.Logf("risk %.4f → %.4f; MLE part %.3f; validation %.4f → %.4f", first, last, h[0].Parts["mrt_mle"], pre.BestVal, h[len(h)-1].ValLoss)
			if !(last < first) || h[0].Parts["mrt_candidates"] != 6 {
				t.Errorf("risk %.4f then %.4f", first, last)
			}
		})
	}
}

// meanRisk is the mean of the steps' MRT risk.
func meanRisk(ps []train.Point) float64 {
	var s float64
	for _, p := range ps {
		s += p.Parts["mrt_risk"]
	}
	return s / float64(len(ps))
}

// What a remedy cannot do to a family is an error naming the family.
func TestExposureRefusals(t *testing.T) {
	_, tok := tinyCorpus(10, 1)
	o := train.Options{Batch: 4, Context: 12, Steps: 2, LR: 1e-3, Sentences: true}
	v, err := train.NewModel(train.Arch{Family: "vae", Layers: 1, Dim: 16, Embed: 8, Latent: 4}, tok.Vocab(), 1)
	if err != nil {
		t.Fatal(err)
	}
	g, err := train.NewModel(train.Arch{Family: "gpt", Layers: 1, Dim: 16, Heads: 2, Context: 12}, tok.Vocab(), 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		m    train.Trainable
		set  func(*train.Options)
		want string
	}{
		{v, func(o *train.Options) { o.ScheduledSampling = &train.Sampling{Schedule: "linear"} }, "a vae model reads whole sequences"},
		{v, func(o *train.Options) { o.InputNoise = &train.Noise{Replace: 0.1} }, "a vae model reads whole sequences"},
		{g, func(o *train.Options) { o.Sentences = false; o.MRT = &train.MRT{Candidates: 4, Alpha: 1} }, "not a gpt model"},
	} {
		oc := o
		c.set(&oc)
		if _, err := train.New(c.m, oc); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v", c.want, err)
		}
	}
	// Images keep their pixel grid: no deletions or insertions.
	set, pix := stripes(8, 1)
	seqs, _ := set.Sequences(pix, corpus.Threshold, 7)
	p, err := train.NewModel(train.Arch{Family: "pixelcnn", Layers: 2, Dim: 8, Image: pix.Shape()}, pix.Vocab(), 1)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.New(p, train.Options{Batch: 2, Context: seqs.SeqLen() - 1, Steps: 1, LR: 1e-3, InputNoise: &train.Noise{Delete: 0.1}})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Run(context.Background(), train.Data{TrainSeqs: seqs}); err == nil || !strings.Contains(err.Error(), "replace=") {
		t.Errorf("deletions in images: %v", err)
	}
}
