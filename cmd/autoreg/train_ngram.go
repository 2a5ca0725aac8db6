package main

import (
	"context"
	"errors"
)

// trainNgram estimates an n-gram model.
func trainNgram(ctx context.Context, f *trainFlags, args []string) error {
	return errors.New("n-gram training is not in this build yet")
}
