package ngram_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/ngram"
)

// A toy word-level corpus, tokenized by hand: ordinary words get ids in
// order of appearance, each line is <s> words </s>.
func Example() {
	corpus := []string{
		"the cat sat on the mat",
		"the dog sat on the log",
		"the cat saw the dog",
		"a dog saw a cat",
		"the mat was on the log",
		"a cat sat on a mat",
	}
	ids := map[string]autoreg.Token{}
	var words []string
	for _, l := range corpus {
		for _, w := range strings.Fields(l) {
			if _, ok := ids[w]; !ok {
				ids[w] = autoreg.Token(len(words))
				words = append(words, w)
			}
		}
	}
	vocab := autoreg.Vocab{Base: len(words)}
	var stream []autoreg.Token
	for _, l := range corpus {
		stream = append(stream, vocab.BOS())
		for _, w := range strings.Fields(l) {
			stream = append(stream, ids[w])
		}
		stream = append(stream, vocab.EOS())
	}

	b, err := ngram.NewBuilder(vocab, ngram.Options{
		Order: 3,
		Warn:  func(msg string) { fmt.Println("warning:", msg) },
	})
	if err != nil {
		panic(err)
	}
	if err := b.Add(stream); err != nil {
		panic(err)
	}
	m, err := b.Build(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Println("n-grams per order:", m.Counts())

	// Score a sentence as KenLM's query does: <s> is context, </s> predicted.
	st := m.NewState()
	st.Append(vocab.BOS())
	var nll float64
	sentence := strings.Fields("the dog sat on the mat")
	for _, w := range sentence {
		nll -= st.LogProb(ids[w])
		st.Append(ids[w])
	}
	nll -= st.LogProb(vocab.EOS())
	fmt.Printf("perplexity %.3f\n", math.Exp(nll/float64(len(sentence)+1)))

	// The ARPA text starts with the counts.
	var arpa bytes.Buffer
	m.WriteARPA(&arpa, func(t autoreg.Token) string { return words[t] })
	fmt.Print(strings.Join(strings.Split(arpa.String(), "\n")[:4], "\n"), "\n")
	// Output:
	// warning: ngram: order 2: no 2-grams with adjusted count 3, so D3+ cannot be estimated; using the fallback discounts D1=0.5 D2=1 D3+=1.5
	// warning: ngram: order 3: no 3-grams with adjusted count 3, so D3+ cannot be estimated; using the fallback discounts D1=0.5 D2=1 D3+=1.5
	// n-grams per order: [13 24 29]
	// perplexity 2.482
	// \data\
	// ngram 1=13
	// ngram 2=24
	// ngram 3=29
}

// Saving and loading the binary payload that the autoreg model file wraps.
func ExampleReadModel() {
	vocab := autoreg.Vocab{Base: 2}
	b, _ := ngram.NewBuilder(vocab, ngram.Options{Order: 2})
	b.Add([]autoreg.Token{0, 1, 1, 0, 1, vocab.EOS(), 1, 0, 0, vocab.EOS()})
	m, _ := b.Build(context.Background())

	var buf bytes.Buffer
	n, err := m.WriteTo(&buf)
	if err != nil {
		panic(err)
	}
	m2, err := ngram.ReadModel(&buf, n)
	if err != nil {
		panic(err)
	}
	st := m2.NewState()
	st.Append(0)
	fmt.Printf("%d bytes, order %d, P(1 | 0) = %.4f\n", n, m2.Order(), math.Exp(st.LogProb(1)))

	_, err = ngram.ReadModel(bytes.NewReader([]byte("NGRM")), 4)
	fmt.Println(err)
	// Output:
	// 224 bytes, order 2, P(1 | 0) = 0.4063
	// ngram: model payload: offset 0: header needs 24 bytes, only 4 remain
}

// Reading an ARPA file: the word list gives the token ids.
func ExampleReadARPA() {
	const arpa = `\data\
ngram 1=4
ngram 2=2

\1-grams:
-1.0	<unk>	0
0	<s>	-0.3
-0.4	</s>	0
-0.2	hello	-0.1

\2-grams:
-0.05	<s> hello
-0.1	hello </s>

\end\
`
	m, words, err := ngram.ReadARPA(strings.NewReader(arpa), "hello.arpa", nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(words, m.Vocab().Base)
	st := m.NewState()
	st.Append(m.Vocab().BOS())
	fmt.Printf("log10 P(hello | <s>) = %.2f\n", st.LogProb(0)/math.Ln10)
	st.Append(0)
	fmt.Printf("log10 P(</s> | <s> hello) = %.2f\n", st.LogProb(m.Vocab().EOS())/math.Ln10)

	_, _, err = ngram.ReadARPA(strings.NewReader("\\data\\\nngram 1=x\n"), "bad.arpa", nil)
	fmt.Println(err)
	// Output:
	// [hello <s> </s> <unk>] 1
	// log10 P(hello | <s>) = -0.05
	// log10 P(</s> | <s> hello) = -0.10
	// ngram: bad.arpa: line 2: malformed count line "ngram 1=x"
}
