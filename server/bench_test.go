package server

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/autoreg/autoreg/gpt"
	"github.com/autoreg/autoreg/internal/testutil"
)

// BenchmarkStreams measures the server end to end on loopback with the
// load test's model shape (a GPT of 4 layers, width 256, 4 heads, context
// 128; random weights): n concurrent streaming requests, each a 32-token
// prompt and 96 generated tokens (end-of-sequence ignored), the clients
// in the same process. tokens/s counts generated tokens; cpu-µs/token is
// the process's CPU time (server and clients) per generated token, which
// machine load disturbs less than the rate.
func BenchmarkStreams(b *testing.B) {
	tok := testCharTok(b)
	g, err := gpt.New(gpt.Config{Layers: 4, Dim: 256, Heads: 4, Context: 128}, tok.Vocab(), 1)
	if err != nil {
		b.Fatal(err)
	}
	m := Model{Name: "bench", Model: g, Tokenizer: tok, Family: "gpt"}
	const maxTokens = 96
	for _, n := range []int{1, 16} {
		b.Run(fmt.Sprintf("streams=%d", n), func(b *testing.B) {
			_, ts := newTestServer(b, Options{Parallel: 16}, m)
			run := func() {
				var wg sync.WaitGroup
				for i := range n {
					wg.Add(1)
					go func() {
						defer wg.Done()
						prompt := fmt.Sprintf("%c: to be or not to be, that is the", 'a'+i)
						stream(b, ts.URL, map[string]any{"prompt": prompt, "max_tokens": maxTokens, "seed": i,
							"ignore_eos": true, "temperature": 0.8, "top_k": 40})
					}()
				}
				wg.Wait()
			}
			run()
			b.ResetTimer()
			start, cpu0 := time.Now(), testutil.ProcessCPU()
			for range b.N {
				run()
			}
			tokens := float64(b.N * n * maxTokens)
			b.ReportMetric(tokens/time.Since(start).Seconds(), "tokens/s")
			if cpu := testutil.ProcessCPU() - cpu0; cpu > 0 {
				b.ReportMetric(cpu.Seconds()*1e6/tokens, "cpu-µs/token")
			}
		})
	}
}
