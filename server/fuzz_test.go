package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzHandlers sends arbitrary bodies to the POST endpoints: the answer is
// a success or a 4xx JSON error, never a panic (which the server would
// turn into a 500) nor a malformed response.
func FuzzHandlers(f *testing.F) {
	for _, s := range []string{
		`{"prompt":"hello","max_tokens":4}`,
		`{"prompt":["a","b"],"n":2,"logprobs":3,"echo":true}`,
		`{"prompt":[1,2,3],"stream":true,"stream_options":{"include_usage":true}}`,
		`{"prompt":[[1,2],[3]],"beams":3,"n":2}`,
		`{"prompt":"x","best_of":3,"n":2,"logprobs":1}`,
		`{"prompt":"x","stop":["a","\n"],"logit_bias":{"3":-100,"</s>":5},"top_k":3,"min_p":0.1}`,
		`{"prompt":"x","dry_multiplier":0.8,"mirostat_tau":5,"xtc_probability":0.5,"typical_p":0.9}`,
		`{"prompt":"x","cfg_scale":1.5,"cfg_negative_prompt":"y","seed":-5}`,
		`{"prompt":"x","max_tokens":0,"echo":true,"logprobs":0}`,
		`{"content":"abc","with_pieces":true,"add_special":true}`,
		`{"tokens":[1,2,3]}`,
		`{"prompt":null,"temperature":0}`,
		`[`, `{}`, `""`, `{"prompt":1e400}`,
		`{"model":"ar2","history":[1,null,3],"horizon":3,"samples":20,"paths":2,"quantiles":[0.5]}`,
		`{"model":"ar2","history":[[1],[2]],"seed":4}`,
	} {
		for which := range byte(4) {
			f.Add(which, []byte(s))
		}
	}
	// which&4 sends completions to the conditional models' server.
	for _, s := range []string{
		`{"model":"s2s","source":"abc","prompt":"x","max_tokens":4,"logprobs":2}`,
		`{"model":"s2s","source":[1,2,3],"beams":2,"n":2,"stream":true}`,
		`{"model":"s2s","source":"abc","prompt":"xy","echo":true,"max_tokens":0,"logprobs":1}`,
		`{"model":"fim","prompt":"ab","suffix":"cd","fim_order":"psm","n":2,"stream":true}`,
		`{"model":"fim","prompt":"ab","suffix":[3,4],"best_of":2,"logprobs":1}`,
		`{"model":"vae","latent":[0.5,-1,2,0],"prompt":"a","logprobs":1}`,
		`{"model":"vae","latent":"the cat","echo":true,"max_tokens":0,"logprobs":0}`,
		`{"model":"vae","n":2,"beams":2}`,
	} {
		f.Add(byte(4), []byte(s))
	}
	s := New(Options{MaxTokens: 8, MaxPromptTokens: 64, MaxSequences: 4, Timeout: 10 * time.Second})
	// The single token model is the default of requests that name none.
	if err := s.Add(tinyGPT(f, 16)); err != nil {
		f.Fatal(err)
	}
	real, _ := tinyAR(f)
	if err := s.Add(real); err != nil {
		f.Fatal(err)
	}
	s.Ready()
	defer s.Close()
	sc := New(Options{MaxTokens: 8, MaxPromptTokens: 64, MaxSequences: 4, Timeout: 10 * time.Second})
	for _, m := range []Model{tinySeq2seq(f), tinyFIM(f), tinyVAE(f)} {
		if err := sc.Add(m); err != nil {
			f.Fatal(err)
		}
	}
	sc.Ready()
	defer sc.Close()
	paths := []string{"/v1/completions", "/tokenize", "/detokenize", "/v1/forecast"}
	f.Fuzz(func(t *testing.T, which byte, body []byte) {
		path := paths[int(which)%len(paths)]
		s := s
		if which&4 != 0 {
			s = sc
		}
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		fin := make(chan struct{})
		go func() { // a request that hangs fails the fuzzer, naming its body
			select {
			case <-fin:
			case <-time.After(30 * time.Second):
				panic(fmt.Sprintf("server: %s %q: no answer after 30 s", path, body))
			}
		}()
		s.ServeHTTP(rec, req)
		close(fin)
		out := rec.Body.Bytes()
		switch {
		case rec.Code >= 500:
			t.Fatalf("%s %q: status %d: %s", path, body, rec.Code, out)
		case rec.Code >= 400:
			var e errorBody
			if err := json.Unmarshal(out, &e); err != nil || e.Error.Message == "" {
				t.Fatalf("%s %q: status %d with %q", path, body, rec.Code, out)
			}
		case rec.Header().Get("Content-Type") == "text/event-stream":
			lines := strings.Split(strings.TrimSpace(string(out)), "\n\n")
			for _, l := range lines {
				if d, ok := strings.CutPrefix(l, "data: "); ok && d != "[DONE]" && !json.Valid([]byte(d)) {
					t.Fatalf("%s %q: event %q", path, body, d)
				}
			}
		default:
			if !json.Valid(out) {
				t.Fatalf("%s %q: status %d with %q", path, body, rec.Code, out)
			}
		}
	})
}
