package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/autoreg/autoreg"
)

// checkAPIError asserts an OpenAI-style JSON error with the given status.
func checkAPIError(t *testing.T, name string, code int, body []byte, want int) {
	t.Helper()
	if code != want {
		t.Errorf("%s: status %d, want %d (%s)", name, code, want, body)
		return
	}
	var e errorBody
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Message == "" || e.Error.Type == "" {
		t.Errorf("%s: not a JSON error: %s", name, body)
	}
}

// TestBadRequests: every malformed or out-of-range request gets a 4xx
// JSON error.
func TestBadRequests(t *testing.T) {
	_, ts := newTestServer(t, Options{MaxTokens: 100, MaxPromptTokens: 50}, tinyGPT(t, 32))
	for _, c := range []struct {
		name string
		body string
		want int
	}{
		{"malformed JSON", `{"prompt": "a"`, 400},
		{"not an object", `[1, 2]`, 400},
		{"empty body", ``, 400},
		{"two values", `{"prompt":"a"} {}`, 400},
		{"unknown field", `{"prompt":"a","temprature":1}`, 400},
		{"wrong type", `{"prompt":"a","max_tokens":"ten"}`, 400},
		{"unknown model", `{"model":"gpt-4","prompt":"a"}`, 404},
		{"model path", `{"model":"../../etc/passwd","prompt":"a"}`, 404},
		{"negative max_tokens", `{"prompt":"a","max_tokens":-1}`, 400},
		{"huge max_tokens", `{"prompt":"a","max_tokens":1000000000000}`, 400},
		{"max_tokens over the limit", `{"prompt":"a","max_tokens":101}`, 400},
		{"logit_bias id out of range", `{"prompt":"a","logit_bias":{"100000":5}}`, 400},
		{"logit_bias negative id", `{"prompt":"a","logit_bias":{"-3":5}}`, 400},
		{"logit_bias unknown name", `{"prompt":"a","logit_bias":{"zzz":5}}`, 400},
		{"prompt id out of range", `{"prompt":[1,2,99999]}`, 400},
		{"prompt of objects", `{"prompt":[{"a":1}]}`, 400},
		{"empty prompt list", `{"prompt":[]}`, 400},
		{"prompt too long", `{"prompt":"` + strings.Repeat("a", 51) + `"}`, 400},
		{"n zero", `{"prompt":"a","n":0}`, 400},
		{"n too large", `{"prompt":"a","n":1000}`, 400},
		{"best_of below n", `{"prompt":"a","n":3,"best_of":2}`, 400},
		{"logprobs too large", `{"prompt":"a","logprobs":21}`, 400},
		{"negative temperature", `{"prompt":"a","temperature":-1}`, 400},
		{"top_p above one", `{"prompt":"a","top_p":1.5}`, 400},
		{"negative top_k", `{"prompt":"a","top_k":-2}`, 400},
		{"empty stop", `{"prompt":"a","stop":[""]}`, 400},
		{"too many stops", `{"prompt":"a","stop":["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q"]}`, 400},
		{"unknown control", `{"prompt":"a","control":"nope"}`, 400},
		{"unknown sampler", `{"prompt":"a","sampler_order":"top-k,bogus"}`, 400},
		{"beams with temperature", `{"prompt":"a","beams":3,"temperature":0.5}`, 400},
		{"stream_options without stream", `{"prompt":"a","stream_options":{"include_usage":true}}`, 400},
		{"source to a decoder-only model", `{"prompt":"a","source":"le chat"}`, 400},
		{"suffix to a decoder-only model", `{"prompt":"a","suffix":"end"}`, 400},
		{"negative max_time", `{"prompt":"a","max_time":-1}`, 400},
	} {
		code, body := post(t, ts.URL+"/v1/completions", c.body)
		checkAPIError(t, c.name, code, body, c.want)
	}
	// Invalid UTF-8 in a string.
	code, body := post(t, ts.URL+"/v1/completions", []byte("{\"prompt\":\"a\xff\xfeb\"}"))
	checkAPIError(t, "invalid UTF-8", code, body, 400)

	// The error names the field.
	_, body = post(t, ts.URL+"/v1/completions", `{"prompt":"a","top_k":-2}`)
	var e errorBody
	json.Unmarshal(body, &e)
	if e.Error.Param == nil || *e.Error.Param != "top_k" || strings.Contains(e.Error.Message, "--") {
		t.Errorf("top_k error: %s", body)
	}

	// Wrong method, unknown path, wrong content type.
	resp, err := http.Get(ts.URL + "/v1/completions")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	checkAPIError(t, "GET completions", resp.StatusCode, b, 405)
	if resp.Header.Get("Allow") != "POST" {
		t.Errorf("405 without Allow: POST")
	}
	resp, err = http.Get(ts.URL + "/v2/nothing")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	checkAPIError(t, "unknown path", resp.StatusCode, b, 404)
	resp, err = http.Post(ts.URL+"/v1/completions", "text/plain", strings.NewReader(`{"prompt":"a"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	checkAPIError(t, "text/plain body", resp.StatusCode, b, 415)
}

// TestHugeBody: a 100 MB body is refused with 413 after the limit is
// read, not buffered.
func TestHugeBody(t *testing.T) {
	_, ts := newTestServer(t, Options{}, tinyGPT(t, 32))
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const size = 100 << 20
	fmt.Fprintf(conn, "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", size)
	go func() {
		chunk := bytes.Repeat([]byte(" "), 64<<10)
		for sent := 0; sent < size; sent += len(chunk) {
			if _, err := conn.Write(chunk); err != nil {
				return // the server closed the connection: expected
			}
		}
	}()
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	checkAPIError(t, "100 MB body", resp.StatusCode, b, 413)
}

func TestAuthAndHosts(t *testing.T) {
	_, ts := newTestServer(t, Options{APIKey: "s3cret", LoopbackHosts: true}, tinyGPT(t, 32))
	get := func(path, key, host string) (int, []byte) {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	code, b := get("/v1/models", "", "")
	checkAPIError(t, "no key", code, b, 401)
	code, b = get("/v1/models", "wrong", "")
	checkAPIError(t, "wrong key", code, b, 401)
	if code, _ := get("/v1/models", "s3cret", ""); code != 200 {
		t.Errorf("right key: %d", code)
	}
	if code, _ := get("/health", "", ""); code != 200 {
		t.Errorf("/health without key: %d", code)
	}
	if code, _ := get("/", "", ""); code != 200 {
		t.Errorf("playground without key: %d", code)
	}
	code, b = get("/health", "", "evil.example:8080")
	checkAPIError(t, "rebound host", code, b, 403)
	if code, _ := get("/health", "", "localhost:8080"); code != 200 {
		t.Errorf("Host localhost: %d", code)
	}
}

func TestHealthModelsMetrics(t *testing.T) {
	s := New(Options{})
	ts := httptest.NewServer(s)
	defer func() {
		ts.Close()
		s.Close()
	}()
	resp, _ := http.Get(ts.URL + "/health")
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("/health while loading: %d", resp.StatusCode)
	}
	if err := s.Add(tinyGPT(t, 32)); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(tinyNgram(t)); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(tinyNgram(t)); err == nil {
		t.Error("a second model named tri was accepted")
	}
	s.Ready()
	resp, _ = http.Get(ts.URL + "/health")
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/health when ready: %d", resp.StatusCode)
	}
	resp, _ = http.Get(ts.URL + "/v1/models")
	var list struct {
		Data []modelInfo `json:"data"`
	}
	json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list.Data) != 2 || list.Data[0].ID != "tiny" || list.Data[0].Family != "gpt" || list.Data[0].Context == nil ||
		*list.Data[0].Context != 32 || list.Data[0].Parameters == nil || !list.Data[0].Batched ||
		list.Data[1].Parameters != nil || list.Data[1].Batched {
		t.Errorf("models %+v", list.Data)
	}
	complete(t, ts.URL, map[string]any{"model": "tiny", "prompt": "ab", "max_tokens": 5, "ignore_eos": true})
	resp, _ = http.Get(ts.URL + "/metrics")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		"# TYPE autoreg_http_requests_total counter",
		`autoreg_http_requests_total{endpoint="completions",code="200"} 1`,
		`autoreg_generated_tokens_total{model="tiny"} 5`,
		`autoreg_prompt_tokens_total{model="tiny"} 2`,
		`autoreg_time_to_first_token_seconds_count{model="tiny"} 1`,
		`autoreg_request_duration_seconds_bucket{endpoint="completions",code="200",le="+Inf"} 1`,
		"autoreg_slots_busy 0",
		"autoreg_queue_depth 0",
		"go_goroutines ",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %q:\n%s", want, b)
		}
	}
}

func TestTokenizeDetokenize(t *testing.T) {
	_, ts := newTestServer(t, Options{}, tinyGPT(t, 32))
	code, b := post(t, ts.URL+"/tokenize", `{"content":"ab c","with_pieces":true,"add_special":true}`)
	var tr struct {
		Tokens []int `json:"tokens"`
		Pieces []struct {
			ID    int     `json:"id"`
			Piece *string `json:"piece"`
		} `json:"pieces"`
	}
	if err := json.Unmarshal(b, &tr); code != 200 || err != nil || len(tr.Tokens) != 5 || len(tr.Pieces) != 5 ||
		*tr.Pieces[0].Piece != "<s>" || *tr.Pieces[1].Piece != "a" || *tr.Pieces[3].Piece != " " {
		t.Fatalf("tokenize: %d %s", code, b)
	}
	ids, _ := json.Marshal(map[string]any{"tokens": tr.Tokens[1:]})
	code, b = post(t, ts.URL+"/detokenize", ids)
	var dr struct {
		Content string `json:"content"`
		Bytes   []int  `json:"bytes"`
	}
	if err := json.Unmarshal(b, &dr); code != 200 || err != nil || dr.Content != "ab c" || dr.Bytes != nil {
		t.Fatalf("detokenize: %d %s", code, b)
	}
	code, b = post(t, ts.URL+"/detokenize", `{"tokens":[1,5000]}`)
	checkAPIError(t, "detokenize out of range", code, b, 400)
	code, b = post(t, ts.URL+"/tokenize", `{"model":"x","content":"a"}`)
	checkAPIError(t, "tokenize unknown model", code, b, 404)
}

// gatedModel wraps a model so that every single-token Append waits for a
// value on gate: a test decides when each generated token happens.
type gatedModel struct {
	autoreg.Model
	gate chan struct{}
}

type gatedState struct {
	autoreg.State
	gate chan struct{}
}

func (m gatedModel) NewState() autoreg.State { return gatedState{m.Model.NewState(), m.gate} }

func (s gatedState) Append(xs ...autoreg.Token) {
	if len(xs) == 1 {
		<-s.gate
	}
	s.State.Append(xs...)
}

func (s gatedState) CopyTo(dst autoreg.State) { s.State.CopyTo(dst.(gatedState).State) }

// waitFor polls cond for up to a few seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// release sends one token through the gate, or reports that nobody took
// it within d.
func release(gate chan struct{}, d time.Duration) bool {
	select {
	case gate <- struct{}{}:
		return true
	case <-time.After(d):
		return false
	}
}

// TestDisconnectFreesSlot: a client that goes away mid-stream stops its
// generation within one token and frees its slot.
func TestDisconnectFreesSlot(t *testing.T) {
	m := tinyNgram(t)
	gate := make(chan struct{})
	m.Model = gatedModel{m.Model, gate}
	s, ts := newTestServer(t, Options{Parallel: 1, MaxTokens: 100000}, m)
	b, _ := json.Marshal(map[string]any{"prompt": "the ", "max_tokens": 100000, "stream": true, "ignore_eos": true})
	resp, err := http.Post(ts.URL+"/v1/completions", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(resp.Body)
	events := 0
	for events < 5 {
		if !release(gate, 5*time.Second) {
			t.Fatal("the generation did not take a token")
		}
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(line, "data: ") {
				events++
				break
			}
		}
	}
	if n := len(s.slots.busy); n != 1 {
		t.Fatalf("%d busy slots while streaming", n)
	}
	resp.Body.Close() // the client goes away
	// Once the server has seen the connection close (a moment), the
	// generation, blocked inside its step, finishes that token at most,
	// then stops and frees the slot.
	time.Sleep(200 * time.Millisecond)
	taken := 0
	for taken < 3 && release(gate, 300*time.Millisecond) {
		taken++
	}
	if taken > 1 {
		t.Errorf("the generation took %d tokens after the client left", taken)
	}
	waitFor(t, "the slot to be freed", func() bool { return len(s.slots.busy) == 0 })
	waitFor(t, "the sequence to end", func() bool { return s.active.Load() == 0 })
}

// TestQueueFull: with every slot busy and the queue full, a request is
// refused at once with 503 and Retry-After; the queued one then runs.
func TestQueueFull(t *testing.T) {
	m := tinyNgram(t)
	gate := make(chan struct{})
	m.Model = gatedModel{m.Model, gate}
	s, ts := newTestServer(t, Options{Parallel: 1, Queue: 1}, m)
	done := make(chan int, 2)
	go func() {
		code, _ := post(t, ts.URL+"/v1/completions", `{"prompt":"a","max_tokens":3,"ignore_eos":true}`)
		done <- code
	}()
	waitFor(t, "the first request to take the slot", func() bool { return len(s.slots.busy) == 1 })
	go func() {
		code, _ := post(t, ts.URL+"/v1/completions", `{"prompt":"b","max_tokens":3,"ignore_eos":true}`)
		done <- code
	}()
	waitFor(t, "the second request to queue", func() bool { return s.slots.waiting.Load() == 1 })
	start := time.Now()
	resp, err := http.Post(ts.URL+"/v1/completions", "application/json", strings.NewReader(`{"prompt":"c"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	checkAPIError(t, "queue full", resp.StatusCode, b, 503)
	if resp.Header.Get("Retry-After") == "" || time.Since(start) > time.Second {
		t.Errorf("503 after %v, Retry-After %q", time.Since(start), resp.Header.Get("Retry-After"))
	}
	for finished := 0; finished < 2; {
		select {
		case code := <-done:
			if code != 200 {
				t.Errorf("a request ended with %d", code)
			}
			finished++
		case gate <- struct{}{}:
		case <-time.After(10 * time.Second):
			t.Fatal("the requests did not finish")
		}
	}
	if got := s.metrics.rejected.get("completions"); got != 1 {
		t.Errorf("%d rejections counted", got)
	}
}

// TestCloseEndsStreams: Close cancels a stream in flight, which ends with
// an error event; later requests get 503.
func TestCloseEndsStreams(t *testing.T) {
	m := tinyNgram(t)
	gate := make(chan struct{})
	m.Model = gatedModel{m.Model, gate}
	s, ts := newTestServer(t, Options{}, m)
	b, _ := json.Marshal(map[string]any{"prompt": "a", "max_tokens": 4000, "stream": true, "ignore_eos": true})
	resp, err := http.Post(ts.URL+"/v1/completions", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	release(gate, 5*time.Second)
	go func() {
		// Tokens at most one a millisecond: the generation cannot end by
		// itself before Close cancels it.
		for release(gate, 50*time.Millisecond) {
			time.Sleep(time.Millisecond)
		}
	}()
	closed := make(chan struct{})
	go func() {
		s.Close()
		close(closed)
	}()
	all, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(all), `"error"`) || strings.Contains(string(all), "[DONE]") {
		t.Errorf("the stream did not end with an error event: ...%s", all[max(0, len(all)-300):])
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	code, body := post(t, ts.URL+"/v1/completions", `{"prompt":"a"}`)
	checkAPIError(t, "after Close", code, body, 503)
}

// TestKeepAlive: a stream that has nothing to say sends comments.
func TestKeepAlive(t *testing.T) {
	m := tinyNgram(t)
	gate := make(chan struct{})
	m.Model = gatedModel{m.Model, gate}
	_, ts := newTestServer(t, Options{KeepAlive: 20 * time.Millisecond}, m)
	go func() {
		time.Sleep(200 * time.Millisecond)
		for release(gate, time.Second) {
		}
	}()
	events, comments := stream(t, ts.URL, map[string]any{"prompt": "a", "max_tokens": 2, "ignore_eos": true})
	if comments < 3 || events[len(events)-1] != "[DONE]" {
		t.Errorf("%d comments, events %q", comments, events)
	}
}
