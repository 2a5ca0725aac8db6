package ngram

import (
	"strings"
	"testing"
)

func TestParsePrune(t *testing.T) {
	got, err := ParsePrune("0,0,1")
	if err != nil || len(got) != 3 || got[2] != 1 {
		t.Fatalf("ParsePrune: %v %v", got, err)
	}
	if got, err := ParsePrune("0 1"); err != nil || len(got) != 2 {
		t.Fatalf("spaces: %v %v", got, err)
	}
	for _, s := range []string{"", "x", "0,-1", "0,,a"} {
		if _, err := ParsePrune(s); err == nil || !strings.HasPrefix(err.Error(), "ngram: ") {
			t.Errorf("%q: %v", s, err)
		}
	}
}

func TestParseDiscounts(t *testing.T) {
	for s, want := range map[string][3]float64{
		"0.5,1,1.5": {0.5, 1, 1.5},
		"0.7":       {0.7, 0.7, 0.7},
		"0.4 0.9":   {0.4, 0.9, 0.9},
	} {
		got, err := ParseDiscounts(s)
		if err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "1,2,3,4", "x", "1.5", "0.5,2.5", "-1"} {
		if _, err := ParseDiscounts(s); err == nil || !strings.HasPrefix(err.Error(), "ngram: ") {
			t.Errorf("%q: %v", s, err)
		}
	}
}
