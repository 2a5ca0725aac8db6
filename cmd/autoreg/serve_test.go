package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServe runs `autoreg serve` on a loopback port: /health turns 200
// once the model is loaded, a completion works, and canceling the
// context (SIGTERM) shuts the server down cleanly.
func TestServe(t *testing.T) {
	dir := t.TempDir()
	data := writeFile(t, dir, "d.txt", []byte(strings.Repeat(tinyText, 5)))
	model := filepath.Join(dir, "m.arm")
	if code, _, errs := cli(t, "train", "--tokenizer", "char", "--order", "3", data, "--out", model); code != 0 {
		t.Fatal(errs)
	}
	var csv strings.Builder
	csv.WriteString("v\n")
	x1, x2 := 0.0, 0.0
	for i := range 200 {
		x := 1.2*x1 - 0.5*x2 + 3 + float64(i%7-3)*0.4
		fmt.Fprintf(&csv, "%g\n", x)
		x1, x2 = x, x1
	}
	series := writeFile(t, dir, "s.csv", []byte(csv.String()))
	real := filepath.Join(dir, "ar.arm")
	if code, _, errs := cli(t, "train", "--arch", "ar", "--data", series, "--column", "v", "--order", "2", "--out", real); code != 0 {
		t.Fatal(errs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var out strings.Builder
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, []string{"--model", "tri=" + model, "--model", real, "--addr", "127.0.0.1:0", "--queue", "0", "--shutdown-grace", "2s"}, &out, pw)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var base string
	for lines.Scan() {
		if _, rest, ok := strings.Cut(lines.Text(), "listening on "); ok {
			base, _, _ = strings.Cut(rest, " ")
			break
		}
	}
	if base == "" {
		t.Fatalf("no address announced: %v", <-done)
	}
	// The startup lines end with the readiness line, which names the
	// queue as given: --queue 0 is no queue.
	ready := make(chan string, 1)
	go func() {
		for lines.Scan() {
			if strings.HasPrefix(lines.Text(), "ready: ") {
				ready <- lines.Text()
				break
			}
		}
		close(ready)
		io.Copy(io.Discard, pr)
	}()
	select {
	case l := <-ready:
		if want := "ready: 2 model(s), 4 slot(s), no queue (a request finding every slot busy gets 503)"; l != want {
			t.Errorf("startup line %q, want %q", l, want)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no readiness line")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("/health never answered 200")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// --queue 0 is no queue, not the library's default.
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), "\nautoreg_queue_capacity 0\n") {
		t.Errorf("--queue 0: metrics say\n%s", metrics)
	}
	resp, err = http.Post(base+"/v1/completions", "application/json",
		strings.NewReader(`{"model":"tri","prompt":"the ","max_tokens":10,"seed":1}`))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Choices []struct{ Text string } `json:"choices"`
	}
	json.NewDecoder(resp.Body).Decode(&r)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(r.Choices) != 1 {
		t.Fatalf("status %d, %+v", resp.StatusCode, r)
	}
	// The real-valued model, named after its file, forecasts.
	resp, err = http.Post(base+"/v1/forecast", "application/json",
		strings.NewReader(`{"model":"ar","history":[1,2,3,4,5,6],"horizon":3,"samples":50,"seed":2}`))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Mean [][]float64 `json:"mean"`
	}
	json.NewDecoder(resp.Body).Decode(&f)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(f.Mean) != 3 {
		t.Fatalf("forecast: status %d, %+v", resp.StatusCode, f)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not stop")
	}
	if !strings.Contains(out.String(), "stopped") {
		t.Errorf("stdout %q", out.String())
	}
	code, _, errs := cli(t, "serve", "--addr", "127.0.0.1:0")
	if code != 2 || !strings.Contains(errs, "--model is required") {
		t.Errorf("serve without --model: exit %d, %s", code, errs)
	}
}
