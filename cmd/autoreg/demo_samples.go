package main

import (
	"context"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/tokenize"
)

// demoSamples prints a few samples from the model.
func demoSamples(ctx context.Context, m autoreg.Model, tok tokenize.Tokenizer, seed uint64) error {
	return nil
}
