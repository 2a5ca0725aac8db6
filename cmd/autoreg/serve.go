package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/server"
)

const serveSummary = "Serve models over HTTP: OpenAI-compatible completions with streaming, prompt log-probabilities, tokenize/detokenize, Prometheus metrics and a playground page; concurrent requests share batched steps."

const serveUsage = "--model [NAME=]FILE [--model ...] [--addr 127.0.0.1:8080] [--parallel N] [--queue Q] [--api-key KEY]"

func init() {
	register(&command{name: "serve", summary: serveSummary, usage: serveUsage, run: runServe})
}

// serveConfig is what serve's flags set.
type serveConfig struct {
	models stringList
	addr   string
	opts   server.Options
	grace  time.Duration
}

// serveFlags declares serve's flags on fs.
func serveFlags(fs *flag.FlagSet) *serveConfig {
	c := &serveConfig{}
	o := &c.opts
	fs.Var(&c.models, "model", "serve the model `[NAME=]FILE` (repeatable); requests name it NAME, by default the file's name without its extension")
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen on `HOST:PORT` (loopback by default; another address exposes the models to the network)")
	fs.IntVar(&o.Parallel, "parallel", 4, "completions generated at once (`N` slots); their sequences share batched steps")
	fs.IntVar(&o.Queue, "queue", 64, "completions that may wait for a slot; beyond, requests get 503 with Retry-After")
	fs.StringVar(&o.APIKey, "api-key", "", "require \"Authorization: Bearer `KEY`\" (default: $AUTOREG_API_KEY; none if empty)")
	fs.Int64Var(&o.MaxBodyBytes, "max-body", 1<<20, "largest request body in `BYTES`")
	fs.IntVar(&o.MaxPromptTokens, "max-prompt-tokens", 8192, "longest prompt in `TOKENS`")
	fs.IntVar(&o.MaxTokens, "max-tokens", 4096, "largest max_tokens a request may ask for")
	fs.IntVar(&o.MaxSequences, "max-sequences", 16, "most sequences of one request (prompts × n, or × best_of)")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Minute, "deadline of each request, queueing included")
	fs.DurationVar(&o.KeepAlive, "keep-alive", 15*time.Second, "send a comment on a silent event stream after this `DURATION`")
	fs.DurationVar(&c.grace, "shutdown-grace", 10*time.Second, "on SIGTERM or Ctrl-C, let requests in flight finish for this long, then cancel them")
	return c
}

// runServe is `autoreg serve`: it parses args and serves until ctx ends
// (SIGTERM or Ctrl-C).
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve")
	c := serveFlags(fs)
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected arguments %q", pos)
	}
	return serve(ctx, c, stdout, stderr)
}

// serveModel is one --model value.
type serveModel struct{ name, path string }

// parseServeModels reads the --model values: NAME=FILE or FILE.
func parseServeModels(vals []string) ([]serveModel, error) {
	if len(vals) == 0 {
		return nil, usagef("--model is required")
	}
	var out []serveModel
	seen := map[string]bool{}
	for _, v := range vals {
		name, path, ok := strings.Cut(v, "=")
		if !ok || name == "" {
			path = v
			name = strings.TrimSuffix(filepath.Base(v), filepath.Ext(v))
		}
		if path == "" {
			return nil, usagef("--model %q: no file", v)
		}
		if seen[name] {
			return nil, usagef("--model: two models named %q (name them: --model NAME=FILE)", name)
		}
		seen[name] = true
		out = append(out, serveModel{name, path})
	}
	return out, nil
}

func serve(ctx context.Context, c *serveConfig, stdout, stderr io.Writer) error {
	models, err := parseServeModels(c.models)
	if err != nil {
		return err
	}
	if c.opts.APIKey == "" {
		c.opts.APIKey = os.Getenv("AUTOREG_API_KEY")
	}
	if c.opts.Parallel < 1 || c.opts.Queue < 0 {
		return usagef("--parallel must be ≥ 1 and --queue ≥ 0")
	}
	queue := fmt.Sprintf("queue of %d", c.opts.Queue)
	if c.opts.Queue == 0 {
		c.opts.Queue = -1 // no queue (Options' zero is its default)
		queue = "no queue (a request finding every slot busy gets 503)"
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	loopback := false
	if ta, ok := ln.Addr().(*net.TCPAddr); ok && ta.IP.IsLoopback() {
		loopback = true
	}
	c.opts.LoopbackHosts = loopback
	if !loopback && c.opts.APIKey == "" {
		fmt.Fprintf(stderr, "warning: listening on %s without --api-key: anyone who can reach it can use the models\n", ln.Addr())
	}
	c.opts.Logf = func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	srv := server.New(c.opts)
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	fmt.Fprintf(stderr, "autoreg serve: listening on http://%s (playground at /; /health answers 503 until the models are loaded)\n", ln.Addr())

	// Load the models while /health says so.
	for _, m := range models {
		if ctx.Err() != nil {
			break
		}
		f, err := modelfile.ReadAny(m.path)
		if err != nil {
			hs.Close()
			srv.Close()
			return err
		}
		var created int64
		if fi, err := os.Stat(m.path); err == nil {
			created = fi.ModTime().Unix()
		}
		sm := server.Model{Name: m.name, Model: f.Model, Tokenizer: f.Tokenizer, SourceTokenizer: f.SourceTokenizer, Real: f.Real, Family: f.Meta.Family,
			SHA256: hex.EncodeToString(f.SHA256[:]), Created: created}
		if err := srv.Add(sm); err != nil {
			hs.Close()
			srv.Close()
			return err
		}
		if f.Real != nil {
			fmt.Fprintf(stderr, "loaded %s: %s (%s, real-valued steps of %d)\n", m.name, m.path, f.Meta.Family, f.Real.Dim())
		} else {
			fmt.Fprintf(stderr, "loaded %s: %s (%s, %d tokens)\n", m.name, m.path, f.Meta.Family, f.Tokenizer.Vocab().Size())
		}
	}
	if ctx.Err() == nil {
		srv.Ready()
		fmt.Fprintf(stderr, "ready: %d model(s), %d slot(s), %s\n", len(models), c.opts.Parallel, queue)
	}

	select {
	case err := <-served:
		srv.Close()
		return err
	case <-ctx.Done():
	}
	// Stop accepting; let requests in flight finish for the grace period,
	// then cancel them (streams end with an error event).
	fmt.Fprintf(stderr, "shutting down: waiting up to %v for %s\n", c.grace, "requests in flight")
	shut := make(chan error, 1)
	go func() { shut <- hs.Shutdown(context.Background()) }()
	select {
	case err = <-shut:
	case <-time.After(c.grace):
		fmt.Fprintln(stderr, "canceling the requests still in flight")
		srv.Close()
		select {
		case err = <-shut:
		case <-time.After(5 * time.Second):
			err = hs.Close()
		}
	}
	srv.Close()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(stdout, "autoreg serve: stopped")
	return nil
}
