package main

import (
	"context"
	"errors"
)

// trainNeural trains an LSTM, GRU or GPT model.
func trainNeural(ctx context.Context, f *trainFlags, args []string) error {
	return errors.New("neural training is not in this build yet")
}
