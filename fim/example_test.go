package fim_test

import (
	"fmt"
	"strings"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/fim"
	"github.com/autoreg/autoreg/tokenize"
)

// A document split before its 4th and 8th characters, laid out for
// fill-in-the-middle training in both orders.
func ExampleSentinels_Arrange() {
	tok, _ := tokenize.NewChar([]rune("abcdefghij"))
	ftok, _ := tokenize.WithControls(tok, fim.Tags)
	s, _ := fim.Lookup(ftok.Vocab())
	doc, _ := tokenize.Encode(ftok, "abcdefghij")
	show := func(ids []autoreg.Token) {
		words := make([]string, len(ids))
		for i, id := range ids {
			words[i] = ftok.Word(id)
		}
		fmt.Println(strings.Join(words, " "))
	}
	dst := make([]autoreg.Token, len(doc)+fim.Overhead)
	s.Arrange(dst, doc, 3, 7, false)
	show(dst)
	s.Arrange(dst, doc, 3, 7, true)
	show(dst)
	// Output:
	// <ctl:fim-prefix> a b c <ctl:fim-suffix> h i j <ctl:fim-middle> d e f g <ctl:fim-end>
	// <ctl:fim-prefix> <ctl:fim-suffix> h i j <ctl:fim-middle> a b c d e f g <ctl:fim-end>
}
