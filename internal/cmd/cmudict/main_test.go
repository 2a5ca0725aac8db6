package main

import "testing"

// The split's golden r values from the shared data's README: A 65,
// HELLO 56, WORLD 18, PRONUNCIATION 75, ZYWICKI 41 (all train).
func TestPart(t *testing.T) {
	for _, w := range []string{"A", "HELLO", "WORLD", "PRONUNCIATION", "ZYWICKI"} {
		if p := Part(w); p != "train" {
			t.Fatalf("%s: %s, want train", w, p)
		}
	}
	if baseWord("A(1)") != "A" || baseWord("A") != "A" || baseWord("(X)") != "(X)" {
		t.Fatal("baseWord")
	}
	if keep("A'S") != true || keep("{BRACE") || keep("A2") {
		t.Fatal("keep")
	}
}
