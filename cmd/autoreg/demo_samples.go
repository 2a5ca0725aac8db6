package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/decode"
	"github.com/autoreg/autoreg/tokenize"
)

// demoPrompts are the demo's sample prompts: Go, then Newton.
var demoPrompts = []string{"func (s *", "// Package", "Light "}

// demoSamples prints a sample per prompt, streamed as generated.
func demoSamples(ctx context.Context, stdout io.Writer, m autoreg.Model, tok tokenize.Tokenizer, seed uint64) error {
	cfg := decode.DefaultConfig()
	cfg.Seed = seed
	cfg.MaxTokens = 240
	cfg.Temperature = 0.8
	cfg.TopK = 40
	for _, p := range demoPrompts {
		ids, err := tokenize.Encode(tok, p)
		if err != nil {
			return err
		}
		ids = append([]autoreg.Token{m.Vocab().BOS()}, ids...)
		fmt.Fprintf(stdout, "  --- prompt %q (temperature %.1f, top-k %d)\n  %s", p, cfg.Temperature, cfg.TopK, p)
		_, err = decode.Run(ctx, m, ids, cfg, tok, func(c decode.Chunk) error {
			_, err := stdout.Write([]byte(strings.ReplaceAll(string(c.Text), "\n", "\n  ")))
			if c.Final {
				fmt.Fprintln(stdout)
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
