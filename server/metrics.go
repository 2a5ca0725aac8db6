package server

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The metrics are written in the Prometheus text exposition format
// (version 0.0.4): `# HELP` and `# TYPE` lines, then one sample per line,
// histograms as cumulative _bucket{le=...} counts with _sum and _count.
// They are few and fixed, so a small registry here serves them without a
// client library.

// counterVec is a counter per label value.
type counterVec struct {
	name, help, label string
	mu                sync.Mutex
	vals              map[string]*atomic.Int64
}

func newCounterVec(name, help, label string) *counterVec {
	return &counterVec{name: name, help: help, label: label, vals: map[string]*atomic.Int64{}}
}

// add adds n to the counter of label value v.
func (c *counterVec) add(v string, n int64) {
	c.mu.Lock()
	a, ok := c.vals[v]
	if !ok {
		a = new(atomic.Int64)
		c.vals[v] = a
	}
	c.mu.Unlock()
	a.Add(n)
}

// get returns the counter of label value v.
func (c *counterVec) get(v string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a, ok := c.vals[v]; ok {
		return a.Load()
	}
	return 0
}

func (c *counterVec) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", c.name, c.help, c.name)
	c.mu.Lock()
	keys := make([]string, 0, len(c.vals))
	for k := range c.vals {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "%s{%s} %d\n", c.name, labels(c.label, k), c.vals[k].Load())
	}
	c.mu.Unlock()
}

// labels renders label="value" pairs: names separated by commas in
// names, values by "\x00" in vals (several labels), escaped as the format
// wants.
func labels(names, vals string) string {
	ns, vs := strings.Split(names, ","), strings.Split(vals, "\x00")
	var b strings.Builder
	for i, n := range ns {
		if i > 0 {
			b.WriteByte(',')
		}
		v := ""
		if i < len(vs) {
			v = vs[i]
		}
		b.WriteString(n)
		b.WriteString(`="`)
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v))
		b.WriteByte('"')
	}
	return b.String()
}

// histogram is a cumulative histogram per label value.
type histogram struct {
	name, help, label string
	bounds            []float64
	mu                sync.Mutex
	series            map[string]*histSeries
}

type histSeries struct {
	counts []int64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	n      int64
}

func newHistogram(name, help, label string, bounds []float64) *histogram {
	return &histogram{name: name, help: help, label: label, bounds: bounds, series: map[string]*histSeries{}}
}

// observe records x under label value v.
func (h *histogram) observe(v string, x float64) {
	h.mu.Lock()
	s, ok := h.series[v]
	if !ok {
		s = &histSeries{counts: make([]int64, len(h.bounds)+1)}
		h.series[v] = s
	}
	i, _ := slices.BinarySearch(h.bounds, x)
	s.counts[i]++
	s.sum += x
	s.n++
	h.mu.Unlock()
}

func (h *histogram) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", h.name, h.help, h.name)
	h.mu.Lock()
	defer h.mu.Unlock()
	keys := make([]string, 0, len(h.series))
	for k := range h.series {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		s := h.series[k]
		l := labels(h.label, k)
		var cum int64
		for i, b := range h.bounds {
			cum += s.counts[i]
			fmt.Fprintf(w, "%s_bucket{%s,le=\"%s\"} %d\n", h.name, l, formatFloat(b), cum)
		}
		fmt.Fprintf(w, "%s_bucket{%s,le=\"+Inf\"} %d\n", h.name, l, s.n)
		fmt.Fprintf(w, "%s_sum{%s} %s\n", h.name, l, formatFloat(s.sum))
		fmt.Fprintf(w, "%s_count{%s} %d\n", h.name, l, s.n)
	}
}

func formatFloat(x float64) string {
	if math.IsInf(x, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// gauge is a value read when the metrics are written.
type gauge struct {
	name, help string
	read       func() float64
}

func (g gauge) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %s\n", g.name, g.help, g.name, g.name, formatFloat(g.read()))
}

// Latency buckets in seconds: 1 ms to about 2 min.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}

// Batch-size buckets in rows.
var rowBuckets = []float64{1, 2, 4, 8, 16, 32, 64, 128}

// metrics are the server's.
type metrics struct {
	requests     *counterVec // by endpoint and status code
	rejected     *counterVec // queue full, by endpoint
	promptTokens *counterVec // by model
	genTokens    *counterVec // by model
	duration     *histogram  // by endpoint and status code
	ttft         *histogram  // by model
	stepRows     *histogram  // by model: rows of each batched step
	gauges       []gauge
}

func newMetrics(s *Server) *metrics {
	return &metrics{
		requests:     newCounterVec("autoreg_http_requests_total", "HTTP requests answered, by endpoint and status code.", "endpoint,code"),
		rejected:     newCounterVec("autoreg_rejected_total", "Requests answered 503 because the queue was full.", "endpoint"),
		promptTokens: newCounterVec("autoreg_prompt_tokens_total", "Prompt tokens read, by model.", "model"),
		genTokens:    newCounterVec("autoreg_generated_tokens_total", "Tokens generated, by model (end-of-sequence tokens included).", "model"),
		duration:     newHistogram("autoreg_request_duration_seconds", "Time from a request's arrival to the end of its response, by endpoint and status code.", "endpoint,code", latencyBuckets),
		ttft:         newHistogram("autoreg_time_to_first_token_seconds", "Time from a completion request's arrival to its first generated token, by model.", "model", latencyBuckets),
		stepRows:     newHistogram("autoreg_batch_rows", "Sequences advanced by each batched step, by model.", "model", rowBuckets),
		gauges: []gauge{
			{"autoreg_queue_depth", "Requests waiting for a slot.", func() float64 { return float64(s.slots.waiting.Load()) }},
			{"autoreg_queue_capacity", "Requests that may wait for a slot.", func() float64 { return float64(s.slots.queue) }},
			{"autoreg_slots_busy", "Slots generating.", func() float64 { return float64(len(s.slots.busy)) }},
			{"autoreg_slots_total", "Slots (--parallel).", func() float64 { return float64(cap(s.slots.busy)) }},
			{"autoreg_sequences_active", "Sequences being generated.", func() float64 { return float64(s.active.Load()) }},
			{"autoreg_ready", "1 once the models are loaded.", func() float64 {
				if s.ready.Load() {
					return 1
				}
				return 0
			}},
			{"go_goroutines", "Goroutines that currently exist.", func() float64 { return float64(runtime.NumGoroutine()) }},
		},
	}
}

// write renders every metric.
func (m *metrics) write(w io.Writer) {
	m.requests.write(w)
	m.rejected.write(w)
	m.promptTokens.write(w)
	m.genTokens.write(w)
	m.duration.write(w)
	m.ttft.write(w)
	m.stepRows.write(w)
	for _, g := range m.gauges {
		g.write(w)
	}
}

// since is the seconds elapsed since t.
func since(t time.Time) float64 { return time.Since(t).Seconds() }

// count returns the observations under label value v.
func (h *histogram) count(v string) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s, ok := h.series[v]; ok {
		return s.n
	}
	return 0
}

// max returns the upper bound of the highest bucket holding an
// observation under label value v (+Inf past the last bound, 0 if none).
func (h *histogram) max(v string) float64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, ok := h.series[v]
	if !ok {
		return 0
	}
	for i := len(s.counts) - 1; i >= 0; i-- {
		if s.counts[i] > 0 {
			if i == len(h.bounds) {
				return math.Inf(1)
			}
			return h.bounds[i]
		}
	}
	return 0
}
