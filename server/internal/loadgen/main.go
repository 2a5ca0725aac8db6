// Command loadgen measures `autoreg serve` under load, on loopback, with a
// bounded number of requests and a time limit (scripts/load-test.sh runs
// it). Three phases:
//
//  1. one client streaming completions alone: its generated tokens/s;
//  2. C clients streaming at once: the aggregate generated tokens/s (its
//     ratio to phase 1), time to first token, errors;
//  3. a burst of 10× the queue's capacity at once, while the slots are
//     busy: the excess must get 503 quickly.
//
// Generated tokens are counted by the server's own metrics
// (autoreg_generated_tokens_total). At the end it checks that the
// server's goroutines are back to their number before the load, and
// reports the server's peak resident memory (Linux, --pid).
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "the server")
	model := flag.String("model", "", "the model's name")
	textPath := flag.String("text", "", "prompts are cut from this text file (default: a built-in text)")
	clients := flag.Int("clients", 16, "concurrent clients of phase 2")
	perClient := flag.Int("requests", 4, "requests per client in phase 2")
	single := flag.Int("single", 6, "requests of phase 1")
	promptLen := flag.Int("prompt-chars", 32, "characters per prompt (tokens, for a character model)")
	maxTokens := flag.Int("max-tokens", 96, "max_tokens of each request (generation ignores end-of-sequence)")
	queue := flag.Int("queue", 16, "the server's --queue (phase 3 sends 10× as many requests)")
	pid := flag.Int("pid", 0, "the server's process id, for its peak memory and CPU time (Linux)")
	limit := flag.Duration("timeout", 5*time.Minute, "give up after this long")
	seed := flag.Uint64("seed", 1, "seeds the prompts and the requests")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), *limit)
	defer cancel()
	text := builtin
	if *textPath != "" {
		b, err := os.ReadFile(*textPath)
		if err != nil {
			fail(err)
		}
		text = string(b)
	}
	g := &gen{url: strings.TrimSuffix(*url, "/"), model: *model, text: []rune(text), promptLen: *promptLen,
		maxTokens: *maxTokens, rng: rand.New(rand.NewPCG(*seed, 0x6c6f6164))}
	tr := &http.Transport{MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 0, DisableCompression: true}
	g.client = &http.Client{Transport: tr}

	if err := g.waitReady(ctx); err != nil {
		fail(err)
	}
	base, err := g.metrics(ctx)
	if err != nil {
		fail(err)
	}
	goroutines0 := base["go_goroutines"]
	fmt.Printf("server: %s, model %q; %.0f goroutines before the load\n", g.url, *model, goroutines0)

	g.pid = *pid
	// Phase 1: one client alone.
	r1 := g.phase(ctx, 1, *single)
	fmt.Printf("\n1 client, %d streaming requests one after another (prompt %d chars, max_tokens %d):\n", *single, *promptLen, *maxTokens)
	r1.print()

	// Phase 2: many clients at once.
	r2 := g.phase(ctx, *clients, *perClient)
	fmt.Printf("\n%d clients at once, %d streaming requests each:\n", *clients, *perClient)
	r2.print()
	ratio := r2.tokensPerSec / r1.tokensPerSec
	fmt.Printf("  aggregate / one client alone: %.2f× (target ≥ 4×)\n", ratio)
	if r1.cpu > 0 && r2.cpu > 0 {
		fmt.Printf("  server CPU per token, alone / with %d clients: %.2f× (the cores' share the server got does not enter)\n",
			*clients, (r1.cpu/r1.tokens)/(r2.cpu/r2.tokens))
	}

	// Phase 3: a burst of 10× the queue's capacity while every slot is busy.
	before503, err := g.metrics(ctx)
	if err != nil {
		fail(err)
	}
	r3 := g.burst(ctx, 10**queue)
	after503, err := g.metrics(ctx)
	if err != nil {
		fail(err)
	}
	fmt.Printf("\nburst of %d requests at once (10× the queue of %d):\n", 10**queue, *queue)
	fmt.Printf("  answered 200: %d, 503: %d (with Retry-After: %d), other: %d\n", r3.ok, r3.rejected, r3.retryAfter, r3.other)
	fmt.Printf("  503 latency: p50 %s, p99 %s, max %s (target p99 ≤ 50 ms)\n", ms(pct(r3.rejectLat, 50)), ms(pct(r3.rejectLat, 99)), ms(pct(r3.rejectLat, 100)))
	if b, ok := bucketPct(before503, after503, `autoreg_request_duration_seconds_bucket{endpoint="completions",code="503",le="`, 99); ok {
		fmt.Printf("  inside the server (its histogram): 99%% of the 503s took ≤ %s (the rest is connecting and scheduling)\n", b)
	}

	// After the load: goroutines back to their number, slots free.
	tr.CloseIdleConnections()
	var after map[string]float64
	leak := true
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if after, err = g.metrics(ctx); err != nil {
			fail(err)
		}
		if after["go_goroutines"] <= goroutines0+1 && after["autoreg_slots_busy"] == 0 && after["autoreg_sequences_active"] == 0 {
			leak = false
			break
		}
		tr.CloseIdleConnections()
	}
	fmt.Printf("\nafter the load: %.0f goroutines (before: %.0f), %.0f busy slots, %.0f active sequences, %.0f queued: ",
		after["go_goroutines"], goroutines0, after["autoreg_slots_busy"], after["autoreg_sequences_active"], after["autoreg_queue_depth"])
	if leak {
		fmt.Println("LEAK")
	} else {
		fmt.Println("no leak")
	}
	if *pid > 0 {
		if hwm, rss, err := memory(*pid); err == nil {
			fmt.Printf("server memory: peak resident %s, now %s\n", hwm, rss)
		}
	}
	ok := r1.errors == 0 && r2.errors == 0 && ratio >= 4 && pct(r2.ttft, 99) <= 50*time.Millisecond &&
		r3.other == 0 && r3.rejected > 0 && pct(r3.rejectLat, 99) <= 50*time.Millisecond && !leak
	fmt.Printf("\nverdict: %s\n", map[bool]string{true: "all targets met", false: "TARGETS MISSED"}[ok])
	if !ok {
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "loadgen:", err)
	os.Exit(2)
}

// gen sends the requests.
type gen struct {
	pid        int // the server's, for its CPU time (0: unknown)
	url, model string
	text       []rune // decoded once: the clients must not spend the CPU they share with the server on it
	promptLen  int
	maxTokens  int
	client     *http.Client
	mu         sync.Mutex
	rng        *rand.Rand
}

// request returns the body of a new request: a prompt cut from the text
// at a random place, a seed.
func (g *gen) request(stream bool) []byte {
	g.mu.Lock()
	start := g.rng.IntN(max(1, len(g.text)-g.promptLen))
	seed := g.rng.Int64N(1 << 40)
	g.mu.Unlock()
	prompt := string(g.text[start:min(len(g.text), start+g.promptLen)])
	b, _ := json.Marshal(map[string]any{"model": g.model, "prompt": prompt, "max_tokens": g.maxTokens,
		"seed": seed, "ignore_eos": true, "stream": stream, "temperature": 0.8})
	return b
}

// result is what a phase measured.
type result struct {
	requests, errors int
	tokens           float64 // generated, by the server's count
	seconds          float64
	tokensPerSec     float64
	cpu              float64 // the server's CPU seconds (0: unknown)
	clientCPU        float64 // this process's CPU seconds (0: unknown)
	serverTTFT       string  // the server's histogram bucket holding its p99 time to first token
	meanRows         float64 // sequences per batched step, on average (0: no batched step)
	ttft, total      []time.Duration
	firstErr         error
}

func (r *result) print() {
	fmt.Printf("  requests %d, errors %d", r.requests, r.errors)
	if r.firstErr != nil {
		fmt.Printf(" (first: %v)", r.firstErr)
	}
	fmt.Printf("\n  generated tokens (server's count) %.0f in %.2f s: %.1f tokens/s\n", r.tokens, r.seconds, r.tokensPerSec)
	if r.cpu > 0 && r.tokens > 0 {
		fmt.Printf("  server CPU: %.1f µs per generated token, %.0f%% of one core on average\n",
			r.cpu/r.tokens*1e6, 100*r.cpu/r.seconds)
	}
	if r.clientCPU > 0 && r.tokens > 0 {
		// The clients share the cores with the server: what they take is
		// not the server's.
		fmt.Printf("  the clients' own CPU: %.1f µs per generated token, %.0f%% of one core on average\n",
			r.clientCPU/r.tokens*1e6, 100*r.clientCPU/r.seconds)
	}
	if r.meanRows > 0 {
		fmt.Printf("  batched steps: %.1f sequences each on average\n", r.meanRows)
	}
	fmt.Printf("  time to first token: p50 %s, p99 %s, max %s\n", ms(pct(r.ttft, 50)), ms(pct(r.ttft, 99)), ms(pct(r.ttft, 100)))
	if r.serverTTFT != "" {
		fmt.Printf("  inside the server (its histogram): 99%% of the first tokens within %s of the request's arrival\n", r.serverTTFT)
	}
	fmt.Printf("  request time: p50 %s, p99 %s\n", ms(pct(r.total, 50)), ms(pct(r.total, 99)))
}

// phase runs n clients, each sending k streaming requests in turn.
func (g *gen) phase(ctx context.Context, n, k int) *result {
	before, err := g.metrics(ctx)
	if err != nil {
		fail(err)
	}
	r := &result{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	cpu0, self0 := cpuSeconds(g.pid), cpuSeconds(os.Getpid())
	start := time.Now()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range k {
				ttft, total, err := g.stream(ctx)
				mu.Lock()
				r.requests++
				if err != nil {
					r.errors++
					if r.firstErr == nil {
						r.firstErr = err
					}
				} else {
					r.ttft = append(r.ttft, ttft)
					r.total = append(r.total, total)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	r.seconds = time.Since(start).Seconds()
	if cpu0 > 0 {
		r.cpu = cpuSeconds(g.pid) - cpu0
	}
	if self0 > 0 {
		r.clientCPU = cpuSeconds(os.Getpid()) - self0
	}
	after, err := g.metrics(ctx)
	if err != nil {
		fail(err)
	}
	key := fmt.Sprintf("autoreg_generated_tokens_total{model=%q}", g.model)
	r.tokens = after[key] - before[key]
	r.tokensPerSec = r.tokens / r.seconds
	rows := fmt.Sprintf("autoreg_batch_rows_%%s{model=%q}", g.model)
	if n := after[fmt.Sprintf(rows, "count")] - before[fmt.Sprintf(rows, "count")]; n > 0 {
		r.meanRows = (after[fmt.Sprintf(rows, "sum")] - before[fmt.Sprintf(rows, "sum")]) / n
	}
	r.serverTTFT, _ = bucketPct(before, after, fmt.Sprintf("autoreg_time_to_first_token_seconds_bucket{model=%q,le=\"", g.model), 99)
	return r
}

// stream sends one streaming request and reads it to the end.
func (g *gen) stream(ctx context.Context) (ttft, total time.Duration, err error) {
	body := g.request(true) // made before the clock starts: a client has its request ready
	start := time.Now()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.url+"/v1/completions", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := g.client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return 0, 0, fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	sc := bufio.NewScanner(resp.Body)
	done := false
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if data == "[DONE]" {
			done = true
			break
		}
		if strings.Contains(data, `"error"`) {
			return 0, 0, fmt.Errorf("error event: %s", data)
		}
		if ttft == 0 {
			ttft = time.Since(start)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, err
	}
	if !done {
		return 0, 0, errors.New("the stream ended without [DONE]")
	}
	return ttft, time.Since(start), nil
}

// burstResult is what a burst measured.
type burstResult struct {
	ok, rejected, retryAfter, other int
	rejectLat                       []time.Duration
}

// burst sends n non-streaming requests at once.
func (g *gen) burst(ctx context.Context, n int) *burstResult {
	r := &burstResult{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = g.request(false)
	}
	gate := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.url+"/v1/completions", bytes.NewReader(bodies[i]))
			req.Header.Set("Content-Type", "application/json")
			<-gate
			start := time.Now()
			resp, err := g.client.Do(req)
			lat := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				r.other++
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusOK:
				r.ok++
			case http.StatusServiceUnavailable:
				r.rejected++
				r.rejectLat = append(r.rejectLat, lat)
				if resp.Header.Get("Retry-After") != "" {
					r.retryAfter++
				}
			default:
				r.other++
			}
		}()
	}
	close(gate)
	wg.Wait()
	return r
}

// waitReady polls /health until the server has loaded its models.
func (g *gen) waitReady(ctx context.Context) error {
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, g.url+"/health", nil)
		resp, err := g.client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the server at %s never became ready: %v", g.url, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// metrics reads the server's metrics: sample name (with labels) → value.
func (g *gen) metrics(ctx context.Context) (map[string]float64, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, g.url+"/metrics", nil)
	resp, err := g.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/metrics: status %d", resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out, sc.Err()
}

// bucketPct returns the upper bound of the histogram bucket (samples
// named prefix + le + `"}`) holding percentile q of the observations
// made between two readings of the metrics.
func bucketPct(before, after map[string]float64, prefix string, q float64) (string, bool) {
	type bucket struct {
		le    float64
		label string
		n     float64
	}
	var bs []bucket
	for k, v := range after {
		le, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		le = strings.TrimSuffix(le, `"}`)
		x, err := strconv.ParseFloat(le, 64)
		if err != nil {
			continue
		}
		bs = append(bs, bucket{x, le, v - before[k]})
	}
	if len(bs) == 0 {
		return "", false
	}
	slices.SortFunc(bs, func(a, b bucket) int { return cmp.Compare(a.le, b.le) })
	total := bs[len(bs)-1].n // +Inf: every observation
	if total <= 0 {
		return "", false
	}
	for _, b := range bs {
		if b.n >= q/100*total {
			if b.label == "+Inf" {
				return "+Inf", true
			}
			return ms(time.Duration(b.le * float64(time.Second))), true
		}
	}
	return "", false
}

// cpuSeconds reads a process's user and system CPU time (Linux; 0 if
// unknown): under a shared machine's load the CPU cost per token says
// what the share of the cores the server got does not.
func cpuSeconds(pid int) float64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name (which may hold spaces) start at
	// the last ')'; utime and stime are the 14th and 15th fields of the
	// line, in clock ticks (100 per second on Linux).
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100
}

// memory reads a process's peak and current resident memory (Linux).
func memory(pid int) (hwm, rss string, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "", "", err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			hwm = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			rss = strings.TrimSpace(v)
		}
	}
	return hwm, rss, nil
}

// pct is the p-th percentile (nearest rank) of ds; 0 if empty.
func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }

// builtin is the prompts' text when no file is given.
const builtin = `First Citizen:
Before we proceed any further, hear me speak.
All:
Speak, speak.
First Citizen:
You are all resolved rather to die than to famish?
All:
Resolved. resolved.
First Citizen:
First, you know Caius Marcius is chief enemy to the people.
All:
We know't, we know't.
First Citizen:
Let us kill him, and we'll have corn at our own price.
Is't a verdict?
`
