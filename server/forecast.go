package server

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"

	"github.com/autoreg/autoreg/forecast"
)

// forecastRequest is the body of POST /v1/forecast: a real-valued model,
// the history to continue and what to return.
type forecastRequest struct {
	Model string `json:"model"`
	// History is the series so far: numbers (one value per step), or
	// lists of Dim numbers; null is a missing value.
	History json.RawMessage `json:"history"`
	// Horizon is the number of steps to forecast (default 12).
	Horizon *int `json:"horizon"`
	// Samples is the number of sample paths drawn (default 1000).
	Samples *int `json:"samples"`
	// Quantiles are the levels reported per step and value (default
	// 0.05, 0.25, 0.5, 0.75, 0.95).
	Quantiles []float64 `json:"quantiles"`
	// Paths is how many of the sample paths to return (default 0).
	Paths int `json:"paths"`
	// Seed seeds the paths (path p uses (seed, p)); absent, a random one
	// is drawn and returned.
	Seed *int64 `json:"seed"`
}

// Limits of a forecast.
const (
	maxSamples      = 10000
	maxPathValues   = 1 << 23 // samples × horizon × dim
	maxLevels       = 20
	maxReturnedPath = 100
)

// forecastResponse is the answer: per step (outer index) and value.
type forecastResponse struct {
	Object    string          `json:"object"`
	Model     string          `json:"model"`
	Dim       int             `json:"dim"`
	Horizon   int             `json:"horizon"`
	Samples   int             `json:"samples"`
	Seed      uint64          `json:"seed"`
	Levels    []float64       `json:"levels"`
	Mean      [][]jsonFloat   `json:"mean"`      // [step][value]
	Quantiles [][][]jsonFloat `json:"quantiles"` // [step][value][level]
	Paths     [][][]jsonFloat `json:"paths"`     // [path][step][value]
}

// forecast serves POST /v1/forecast: sample paths of a real-valued model
// continuing the history (package forecast, as `autoreg forecast`), their
// mean and quantiles per step.
func (s *Server) forecast(w http.ResponseWriter, r *http.Request) *apiError {
	t, end, e := s.begin(w, "forecast")
	if e != nil {
		return e
	}
	defer end()
	var req forecastRequest
	sm, e := s.readReal(w, r, &req)
	if e != nil {
		return e
	}
	m := sm.real
	d := m.Dim()
	hist, e := parseHistory(req.History, d, s.opts.MaxPromptTokens)
	if e != nil {
		return e
	}
	H, N := 12, 1000
	if req.Horizon != nil {
		H = *req.Horizon
	}
	if req.Samples != nil {
		N = *req.Samples
	}
	switch {
	case H < 1 || H > s.opts.MaxTokens:
		return badRequest("horizon", "horizon %d: must be in [1, %d]", H, s.opts.MaxTokens)
	case N < 2 || N > maxSamples:
		return badRequest("samples", "samples %d: must be in [2, %d]", N, maxSamples)
	case N*H*d > maxPathValues:
		return badRequest("samples", "samples × horizon × dim = %d values: at most %d", N*H*d, maxPathValues)
	case req.Paths < 0 || req.Paths > min(N, maxReturnedPath):
		return badRequest("paths", "paths %d: must be in [0, %d]", req.Paths, min(N, maxReturnedPath))
	}
	levels := req.Quantiles
	if levels == nil {
		levels = []float64{0.05, 0.25, 0.5, 0.75, 0.95}
	}
	if len(levels) > maxLevels {
		return badRequest("quantiles", "%d quantile levels: at most %d", len(levels), maxLevels)
	}
	for _, p := range levels {
		if !(p > 0 && p < 1) {
			return badRequest("quantiles", "quantile level %v: must be in (0, 1)", p)
		}
	}
	seed := rand.Uint64()
	if req.Seed != nil {
		seed = uint64(*req.Seed)
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.Timeout)
	defer cancel()
	defer context.AfterFunc(s.ctx, cancel)()
	if err := t.wait(ctx); err != nil {
		return s.ctxError(ctx, err)
	}
	st := m.NewRealState()
	st.Append(hist...)
	paths, err := forecast.Paths(ctx, m, st, H, N, seed)
	if err != nil {
		return s.ctxError(ctx, err)
	}
	q := forecast.Quantiles(paths, N, H, d, levels)
	means := forecast.Means(paths, N, H, d)
	out := forecastResponse{Object: "forecast", Model: sm.Name, Dim: d, Horizon: H, Samples: N, Seed: seed,
		Levels: slices.Clone(levels), Mean: make([][]jsonFloat, H), Quantiles: make([][][]jsonFloat, H),
		Paths: make([][][]jsonFloat, req.Paths)}
	for h := range H {
		out.Mean[h] = make([]jsonFloat, d)
		out.Quantiles[h] = make([][]jsonFloat, d)
		for i := range d {
			out.Mean[h][i] = jsonFloat(means[h*d+i])
			lv := make([]jsonFloat, len(levels))
			for j := range levels {
				lv[j] = jsonFloat(q[(h*d+i)*len(levels)+j])
			}
			out.Quantiles[h][i] = lv
		}
	}
	for p := range req.Paths {
		out.Paths[p] = make([][]jsonFloat, H)
		for h := range H {
			step := make([]jsonFloat, d)
			for i := range d {
				step[i] = jsonFloat(paths[(p*H+h)*d+i])
			}
			out.Paths[p][h] = step
		}
	}
	return writeJSON(w, out)
}

// readReal reads a forecast request and resolves its real-valued model.
func (s *Server) readReal(w http.ResponseWriter, r *http.Request, req *forecastRequest) (*served, *apiError) {
	if e := readJSON(w, r, s.opts.MaxBodyBytes, req); e != nil {
		return nil, e
	}
	return s.lookupReal(req.Model)
}

// parseHistory reads a history of steps of d values: a list of numbers
// (d = 1) or of lists of d numbers, null for a missing value (NaN, which
// the state imputes).
func parseHistory(raw json.RawMessage, d, maxSteps int) ([]float64, *apiError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var flat []*float64
	if err := json.Unmarshal(raw, &flat); err == nil {
		if d != 1 {
			return nil, badRequest("history", "the model's steps have %d values: give history as a list of lists of %d numbers", d, d)
		}
		if len(flat) > maxSteps {
			return nil, badRequest("history", "a history of %d steps, more than the server's limit of %d", len(flat), maxSteps)
		}
		out := make([]float64, len(flat))
		for i, v := range flat {
			out[i] = value(v)
		}
		return out, nil
	}
	var steps [][]*float64
	if err := json.Unmarshal(raw, &steps); err != nil {
		return nil, badRequest("history", "history must be a list of numbers or of lists of numbers (null for a missing value)")
	}
	if len(steps) > maxSteps {
		return nil, badRequest("history", "a history of %d steps, more than the server's limit of %d", len(steps), maxSteps)
	}
	out := make([]float64, 0, len(steps)*d)
	for t, st := range steps {
		if len(st) != d {
			return nil, badRequest("history", "step %d has %d values, the model's steps %d", t, len(st), d)
		}
		for _, v := range st {
			out = append(out, value(v))
		}
	}
	return out, nil
}

// value is a history entry: null is NaN, a missing value.
func value(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}
