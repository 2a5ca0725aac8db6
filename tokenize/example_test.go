package tokenize_test

import (
	"errors"
	"fmt"

	"github.com/autoreg/autoreg/tokenize"
)

func Example() {
	b := tokenize.NewCharBuilder()
	_ = b.Add([]byte("hello world"))
	_ = b.Flush()
	tok, _ := b.Build()

	enc := tok.NewEncoder()
	ids, _ := enc.Encode(nil, []byte("low!"))
	ids, _ = enc.Flush(ids)
	fmt.Println(ids, "unknown:", enc.Unknown())

	var text []byte
	for _, id := range ids {
		text = tok.AppendText(text, id)
	}
	fmt.Printf("%q\n", text)
	fmt.Println(tok.Vocab().Size(), tok.Word(ids[3]), tok.Word(0))
	// Output:
	// [4 5 7 10] unknown: 1
	// "low"
	// 11 <unk> \s
}

// Encode and Decode convert a whole text in one call; the char tokenizer
// maps characters it has not seen to <unk>, which has no text.
func ExampleEncode() {
	tok, err := tokenize.NewChar([]rune("ehlo "))
	if err != nil {
		panic(err)
	}
	ids, err := tokenize.Encode(tok, "hello, world")
	if err != nil {
		panic(err)
	}
	fmt.Println(ids)
	fmt.Printf("%q\n", tokenize.Decode(tok, ids))

	// Bytes that are not UTF-8 are an error, as in the streaming encoder.
	_, err = tokenize.Encode(tok, "hel\xff")
	fmt.Println(errors.Is(err, tokenize.ErrInvalidUTF8))
	// Output:
	// [2 1 3 3 4 7 0 7 4 7 3 7]
	// "hello ol"
	// true
}
