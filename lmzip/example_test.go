package lmzip_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/autoreg/autoreg/lmzip"
)

// Adaptive mode: no model file, the model learns while it codes.
func Example() {
	text := strings.Repeat("It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.\n", 20)

	var packed bytes.Buffer
	if _, err := lmzip.Compress(context.Background(), &packed, strings.NewReader(text), lmzip.Options{Adaptive: "ngram"}); err != nil {
		panic(err)
	}
	size := packed.Len()
	var unpacked bytes.Buffer
	if _, err := lmzip.Decompress(context.Background(), &unpacked, &packed, lmzip.ReaderOptions{}); err != nil {
		panic(err)
	}
	fmt.Println(unpacked.String() == text, len(text), "->", size, "bytes")
	// Output: true 2360 -> 213 bytes
}

// The streaming API: a Writer that compresses what is written to it, a
// Reader that gives the original bytes back.
func ExampleNewWriter() {
	var packed bytes.Buffer
	w, err := lmzip.NewWriter(context.Background(), &packed, lmzip.Options{Adaptive: "mix"})
	if err != nil {
		panic(err)
	}
	for i := 0; i < 3; i++ {
		fmt.Fprintf(w, "line %d of a stream without a known length\n", i)
	}
	if err := w.Close(); err != nil {
		panic(err)
	}

	r, err := lmzip.NewReader(context.Background(), &packed, lmzip.ReaderOptions{Name: "example"})
	if err != nil {
		panic(err)
	}
	var out bytes.Buffer
	out.ReadFrom(r)
	fmt.Print(out.String())
	fmt.Println(r.Info().Config)
	// Output:
	// line 0 of a stream without a known length
	// line 1 of a stream without a known length
	// line 2 of a stream without a known length
	// cm2 h=20 b=24 m=6,24 l=1023 r=6,2 a=3
}
