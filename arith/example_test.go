package arith_test

import (
	"bytes"
	"fmt"

	"github.com/autoreg/autoreg/arith"
)

func Example() {
	// A three-symbol alphabet with probabilities 1/2, 1/4, 1/4.
	cdf := []uint32{0, 2, 3, 4}
	msg := []int{0, 0, 1, 0, 2, 0, 0, 1}

	var buf bytes.Buffer
	enc := arith.NewEncoder(&buf)
	for _, s := range msg {
		enc.EncodeSymbol(cdf, s)
	}
	enc.EncodeBit(1, 1<<15) // a fair bit
	if err := enc.Close(); err != nil {
		panic(err)
	}

	dec := arith.NewDecoder(bytes.NewReader(buf.Bytes()))
	var got []int
	for range msg {
		got = append(got, dec.DecodeSymbol(cdf))
	}
	fmt.Println(got, dec.DecodeBit(1<<15), buf.Len(), "bytes")
	// Output: [0 0 1 0 2 0 0 1] 1 2 bytes
}
