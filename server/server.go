package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/decode"
	"github.com/autoreg/autoreg/eval"
	"github.com/autoreg/autoreg/fim"
	"github.com/autoreg/autoreg/tensor"
	"github.com/autoreg/autoreg/tokenize"
)

// Options configure a Server. Zero fields take the defaults documented
// with each.
type Options struct {
	// Parallel is the number of completions generated at once (default 4).
	Parallel int
	// Queue is the number of completions that may wait for a slot
	// (default 64; negative for none); beyond, requests get 503 with
	// Retry-After.
	Queue int
	// APIKey, if not empty, must come as "Authorization: Bearer KEY" on
	// every endpoint but /health and the playground page.
	APIKey string
	// LoopbackHosts accepts only requests whose Host names a loopback
	// address (localhost, 127.0.0.1, [::1]): a server bound to loopback
	// then cannot be reached through a DNS name rebound to it.
	LoopbackHosts bool
	// MaxBodyBytes bounds a request body (default 1 MiB).
	MaxBodyBytes int64
	// MaxPromptTokens bounds one prompt (default 8192).
	MaxPromptTokens int
	// MaxTokens bounds a request's max_tokens (default 4096).
	MaxTokens int
	// MaxSequences bounds the sequences of one request, prompts × n or
	// × best_of (default 16).
	MaxSequences int
	// Timeout is each request's deadline, queueing included (default
	// 10 minutes).
	Timeout time.Duration
	// KeepAlive is the longest silence of an event stream: a comment line
	// is sent after it (default 15 s).
	KeepAlive time.Duration
	// Logf, if not nil, receives the server's own errors (a handler that
	// panicked); the server prints nothing itself.
	Logf func(format string, args ...any)
}

func (o *Options) defaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Parallel, 4)
	if o.Queue < 0 {
		o.Queue = 0
	} else if o.Queue == 0 {
		o.Queue = 64
	}
	def(&o.MaxPromptTokens, 8192)
	def(&o.MaxTokens, 4096)
	def(&o.MaxSequences, 16)
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	if o.KeepAlive <= 0 {
		o.KeepAlive = 15 * time.Second
	}
}

// Model is a model to serve: a token model with its tokenizer, or a
// real-valued model.
type Model struct {
	// Name is the id requests use (the "model" field).
	Name string
	// Model and Tokenizer are a token model and its tokenizer
	// (completions, tokenize, detokenize).
	Model     autoreg.Model
	Tokenizer tokenize.Tokenizer
	// SourceTokenizer is an encoder-decoder's (autoreg.Conditional)
	// tokenizer of sources, for requests' source field.
	SourceTokenizer tokenize.Tokenizer
	// Real is a real-valued model (forecasts), in place of Model and
	// Tokenizer.
	Real autoreg.RealModel
	// Family names the model family, for /v1/models ("gpt", "ngram", ...).
	Family string
	// SHA256 is the model file's identity, in hex (may be empty).
	SHA256 string
	// Created is when the model was made (Unix seconds; 0 = unknown).
	Created int64
}

// served is a loaded model with what the server derives from it.
type served struct {
	Name    string
	m       autoreg.Model
	tok     tokenize.Tokenizer
	srcTok  tokenize.Tokenizer // an encoder-decoder's sources
	real    autoreg.RealModel
	family  string
	sha     string
	created int64
	engine  *engine // batched steps; nil unless the model is an autoreg.Stepper
	params  int64   // parameters, -1 if unknown
	context int     // context window in tokens, 0 if unbounded or unknown

	brkOnce sync.Once
	brk     []autoreg.Token
}

// breakers returns DRY's default sequence breakers for the model.
func (m *served) breakers() []autoreg.Token {
	m.brkOnce.Do(func() {
		m.brk = decode.BreakerTokens(m.tok, m.tok.Vocab(), decode.DefaultBreakers)
	})
	return m.brk
}

// Server is the HTTP server's handler. Make one with New, add models,
// call Ready; serve it with net/http. It is safe for concurrent use.
type Server struct {
	opts    Options
	slots   *slots
	metrics *metrics
	ready   atomic.Bool
	active  atomic.Int64 // sequences being generated

	mu     sync.RWMutex
	models map[string]*served
	names  []string // in the order added

	ctx    context.Context // ends when Close is called
	cancel context.CancelFunc
	wg     sync.WaitGroup // completions in flight
}

// New returns a server with no model, answering /health with 503 until
// Ready is called.
func New(opts Options) *Server {
	opts.defaults()
	s := &Server{opts: opts, slots: newSlots(opts.Parallel, opts.Queue), models: map[string]*served{}}
	s.metrics = newMetrics(s)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Add serves m under m.Name, which must be new and not empty.
func (s *Server) Add(m Model) error {
	if m.Name == "" || strings.ContainsAny(m.Name, "\x00\n") {
		return fmt.Errorf("server: model name %q: empty or not printable", m.Name)
	}
	switch {
	case m.Real != nil && (m.Model != nil || m.Tokenizer != nil):
		return fmt.Errorf("server: model %q: a real-valued model has no token model or tokenizer", m.Name)
	case m.Real == nil && (m.Model == nil || m.Tokenizer == nil):
		return fmt.Errorf("server: model %q: no model or tokenizer", m.Name)
	case m.Real == nil && m.Model.Vocab().Size() != m.Tokenizer.Vocab().Size():
		return fmt.Errorf("server: model %q: vocabulary of %d tokens, tokenizer of %d", m.Name, m.Model.Vocab().Size(), m.Tokenizer.Vocab().Size())
	}
	if c, ok := m.Model.(autoreg.Conditional); ok && m.SourceTokenizer != nil && c.SourceVocab().Size() != m.SourceTokenizer.Vocab().Size() {
		return fmt.Errorf("server: model %q: source vocabulary of %d tokens, source tokenizer of %d", m.Name, c.SourceVocab().Size(), m.SourceTokenizer.Vocab().Size())
	}
	sm := &served{Name: m.Name, m: m.Model, tok: m.Tokenizer, srcTok: m.SourceTokenizer, real: m.Real, family: m.Family, sha: m.SHA256, created: m.Created, params: -1}
	var model any = m.Model
	if m.Real != nil {
		model = m.Real
	}
	if a, ok := model.(interface{ Arena() *tensor.Arena }); ok {
		sm.params = int64(len(a.Arena().Params))
	}
	if w, ok := model.(eval.Windowed); ok {
		sm.context = w.ContextLen()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.models[m.Name]; dup {
		return fmt.Errorf("server: two models named %q", m.Name)
	}
	if _, ok := m.Model.(autoreg.Stepper); ok {
		name := m.Name
		sm.engine = newEngine(m.Model, func(rows int) {
			s.metrics.stepRows.observe(name, float64(rows))
		})
	}
	s.models[m.Name] = sm
	s.names = append(s.names, m.Name)
	return nil
}

// Ready marks the models as loaded: /health answers 200 from now on.
func (s *Server) Ready() { s.ready.Store(true) }

// Close cancels every completion in flight (streams end with an error
// event), waits for them to return, and stops the batching engines. Use
// it after http.Server.Shutdown's grace period, or instead of it.
func (s *Server) Close() {
	s.cancel()
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.models {
		if m.engine != nil {
			m.engine.stop()
			m.engine = nil
		}
	}
}

// lookup resolves the name of a token model among the loaded models
// only; no name means the only token model, if there is one.
func (s *Server) lookup(name string) (*served, *apiError) {
	m, e := s.find(name, false)
	if e == nil && m.real != nil {
		return nil, badRequest("model", "the model %q is real-valued: use POST /v1/forecast", name)
	}
	return m, e
}

// lookupReal resolves the name of a real-valued model; no name means the
// only real-valued model, if there is one.
func (s *Server) lookupReal(name string) (*served, *apiError) {
	m, e := s.find(name, true)
	if e == nil && m.real == nil {
		return nil, badRequest("model", "the model %q is a token model: use POST /v1/completions", m.Name)
	}
	return m, e
}

// find resolves a model name among the loaded models only; the empty
// name, among the models of one kind, if only one is loaded.
func (s *Server) find(name string, real bool) (*served, *apiError) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if m, ok := s.models[name]; ok {
		return m, nil
	}
	if name == "" {
		var only *served
		n := 0
		for _, m := range s.models {
			if (m.real != nil) == real {
				only = m
				n++
			}
		}
		if n == 1 {
			return only, nil
		}
		return nil, badRequest("model", "model is required (loaded: %s)", strings.Join(s.names, ", "))
	}
	return nil, &apiError{status: http.StatusNotFound, kind: "invalid_request_error", param: "model", code: "model_not_found",
		message: fmt.Sprintf("the model %q does not exist (loaded: %s)", name, strings.Join(s.names, ", "))}
}

// route is one endpoint.
type route struct {
	method string
	open   bool // no API key needed
	fn     func(http.ResponseWriter, *http.Request) *apiError
}

// routes maps each path to its endpoint; the names are the metrics'
// endpoint labels.
func (s *Server) routes(path string) (string, *route) {
	switch path {
	case "/v1/completions", "/completions":
		return "completions", &route{method: http.MethodPost, fn: s.completions}
	case "/v1/models", "/models":
		return "models", &route{method: http.MethodGet, fn: s.listModels}
	case "/v1/forecast", "/forecast":
		return "forecast", &route{method: http.MethodPost, fn: s.forecast}
	case "/tokenize":
		return "tokenize", &route{method: http.MethodPost, fn: s.tokenize}
	case "/detokenize":
		return "detokenize", &route{method: http.MethodPost, fn: s.detokenize}
	case "/health":
		return "health", &route{method: http.MethodGet, open: true, fn: s.health}
	case "/metrics":
		return "metrics", &route{method: http.MethodGet, fn: s.serveMetrics}
	case "/", "/index.html":
		return "playground", &route{method: http.MethodGet, open: true, fn: s.playground}
	}
	if rest, ok := strings.CutPrefix(path, "/v1/models/"); ok && rest != "" {
		return "models", &route{method: http.MethodGet, fn: func(w http.ResponseWriter, r *http.Request) *apiError {
			return s.oneModel(w, rest)
		}}
	}
	return "", nil
}

// statusWriter records the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// Flush sends buffered data to the client (event streams).
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w := &statusWriter{ResponseWriter: rw}
	name, rt := s.routes(r.URL.Path)
	label := name
	if label == "" {
		label = "other"
	}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			if s.opts.Logf != nil {
				s.opts.Logf("server: %s %s: panic: %v", r.Method, r.URL.Path, p)
			}
			if w.status == 0 {
				writeError(w, &apiError{status: http.StatusInternalServerError, kind: "server_error", message: "internal error"})
			}
		}
		code := w.status
		if code == 0 {
			code = http.StatusOK
		}
		key := label + "\x00" + strconv.Itoa(code)
		s.metrics.requests.add(key, 1)
		s.metrics.duration.observe(key, since(start))
	}()
	if e := s.check(w, r, rt); e != nil {
		writeError(w, e)
		return
	}
	if e := rt.fn(w, r); e != nil {
		writeError(w, e)
	}
}

// check applies the rules every request meets before its handler runs.
func (s *Server) check(w http.ResponseWriter, r *http.Request, rt *route) *apiError {
	if s.opts.LoopbackHosts && !loopbackHost(r.Host) {
		return &apiError{status: http.StatusForbidden, kind: "invalid_request_error",
			message: fmt.Sprintf("Host %q: this server answers requests to a loopback address only", r.Host)}
	}
	if rt == nil {
		return &apiError{status: http.StatusNotFound, kind: "invalid_request_error", code: "not_found",
			message: fmt.Sprintf("no endpoint %s", r.URL.Path)}
	}
	if r.Method != rt.method && !(rt.method == http.MethodGet && r.Method == http.MethodHead) {
		w.Header().Set("Allow", rt.method)
		return &apiError{status: http.StatusMethodNotAllowed, kind: "invalid_request_error",
			message: fmt.Sprintf("%s %s: use %s", r.Method, r.URL.Path, rt.method)}
	}
	if s.opts.APIKey != "" && !rt.open {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(s.opts.APIKey)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="autoreg"`)
			return &apiError{status: http.StatusUnauthorized, kind: "authentication_error", code: "invalid_api_key",
				message: "a valid API key is required: Authorization: Bearer KEY"}
		}
	}
	if rt.method == http.MethodPost {
		if ct := r.Header.Get("Content-Type"); !isJSONType(ct) {
			// Browsers send text/plain and form bodies to any origin
			// without asking; application/json they do not.
			return &apiError{status: http.StatusUnsupportedMediaType, kind: "invalid_request_error",
				message: fmt.Sprintf("Content-Type %q: send the JSON body as application/json", ct)}
		}
	}
	return nil
}

// loopbackHost reports whether a Host header names a loopback address.
func loopbackHost(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = strings.Trim(host, "[]")
	}
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// writeJSON sends v with status 200.
func writeJSON(w http.ResponseWriter, v any) *apiError {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if err := json.NewEncoder(w).Encode(v); err != nil && w.(*statusWriter).status == 0 {
		return &apiError{status: http.StatusInternalServerError, kind: "server_error", message: "encoding the response: " + err.Error()}
	}
	return nil
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) *apiError {
	if !s.ready.Load() {
		w.Header().Set("Retry-After", "1")
		return &apiError{status: http.StatusServiceUnavailable, kind: "unavailable", message: "loading models"}
	}
	if s.ctx.Err() != nil {
		return &apiError{status: http.StatusServiceUnavailable, kind: "unavailable", message: "shutting down"}
	}
	return writeJSON(w, map[string]string{"status": "ok"})
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) *apiError {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.metrics.write(w)
	return nil
}

// modelInfo is a model in /v1/models: OpenAI's fields, then autoreg's
// (kind "tokens" with the tokenizer's, or "real" with the step's width).
type modelInfo struct {
	ID         string   `json:"id"`
	Object     string   `json:"object"`
	Created    int64    `json:"created"`
	OwnedBy    string   `json:"owned_by"`
	Kind       string   `json:"kind"`
	Family     string   `json:"family"`
	Tokenizer  string   `json:"tokenizer,omitempty"`
	VocabSize  int      `json:"vocab_size,omitempty"`
	Dim        int      `json:"dim,omitempty"`
	Context    *int     `json:"context_length"`
	Parameters *int64   `json:"parameters"`
	Controls   []string `json:"controls,omitempty"`
	SHA256     string   `json:"sha256,omitempty"`
	Batched    bool     `json:"batched"`
	// Conditions lists the completion fields that condition the model
	// beyond the prompt: "source" (required), "suffix", "latent".
	Conditions []string `json:"conditions,omitempty"`
	LatentDim  int      `json:"latent_dim,omitempty"`
}

func (m *served) describe() modelInfo {
	mi := modelInfo{ID: m.Name, Object: "model", Created: m.created, OwnedBy: "autoreg", Family: m.family,
		SHA256: m.sha, Batched: m.engine != nil}
	if m.real != nil {
		mi.Kind, mi.Dim = "real", m.real.Dim()
	} else {
		v := m.tok.Vocab()
		mi.Kind, mi.Tokenizer, mi.VocabSize, mi.Controls = "tokens", m.tok.Kind(), v.Size(), slices.Clone(v.Controls)
		if _, ok := m.m.(autoreg.Conditional); ok {
			mi.Conditions = append(mi.Conditions, "source")
		}
		if _, ok := fim.Lookup(v); ok {
			mi.Conditions = append(mi.Conditions, "suffix")
		}
		if l, ok := m.m.(autoreg.Latent); ok {
			mi.Conditions, mi.LatentDim = append(mi.Conditions, "latent"), l.LatentDim()
		}
	}
	if m.context > 0 {
		mi.Context = &m.context
	}
	if m.params >= 0 {
		mi.Parameters = &m.params
	}
	return mi
}

func (s *Server) listModels(w http.ResponseWriter, r *http.Request) *apiError {
	s.mu.RLock()
	data := make([]modelInfo, 0, len(s.names))
	for _, n := range s.names {
		data = append(data, s.models[n].describe())
	}
	s.mu.RUnlock()
	return writeJSON(w, map[string]any{"object": "list", "data": data})
}

func (s *Server) oneModel(w http.ResponseWriter, name string) *apiError {
	s.mu.RLock()
	m, ok := s.models[name]
	s.mu.RUnlock()
	if !ok {
		_, e := s.find(name, false)
		if e == nil { // the empty name of a single-model server
			e = &apiError{status: http.StatusNotFound, kind: "invalid_request_error", code: "model_not_found", message: "no model named " + name}
		}
		return e
	}
	return writeJSON(w, m.describe())
}
