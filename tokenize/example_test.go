package tokenize_test

import (
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
