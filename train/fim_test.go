package train

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/fim"
)

// TestFIMWindow: FIM windows hold the drawn tokens once each, in PSM or
// SPM order, with the four sentinels; the rates hold; FIMSplit is obeyed.
func TestFIMWindow(t *testing.T) {
	v := autoreg.Vocab{Base: 50, Controls: fim.Tags}
	s, _ := fim.Lookup(v)
	tokens := make([]autoreg.Token, 500)
	for i := range tokens {
		tokens[i] = autoreg.Token(i % 50)
	}
	T := 20
	tr := &Trainer{Opts: Options{Context: T, FIMRate: 0.5, FIMSPMRate: 0.25}, dataRng: rand.New(rand.NewPCG(1, 2))}
	tr.fim = fimState{s: s, raw: make([]autoreg.Token, T+1-fim.Overhead), seq: make([]autoreg.Token, T+1)}
	tr.FIMSplit = func(x autoreg.Token) bool { return x%5 != 3 }
	x, y := make([]int32, T), make([]int32, T)
	var n, spm int
	for range 2000 {
		off := tr.dataRng.IntN(len(tokens) - T)
		if !tr.fimWindow(tokens, off, x, y) {
			continue
		}
		n++
		seq := append(append([]int32(nil), x...), y[T-1])
		if !slices.Equal(seq[1:T], y[:T-1]) || seq[0] != int32(s.Pre) || seq[T] != int32(s.End) {
			t.Fatalf("window %v / %v", x, y)
		}
		if seq[1] == int32(s.Suf) {
			spm++
		}
		var body int
		for _, v := range seq {
			if v < 50 {
				body++
			}
		}
		if body != T+1-fim.Overhead {
			t.Fatalf("%d tokens besides the sentinels in %v", body, seq)
		}
		// The middle and the suffix start at tokens FIMSplit allows.
		for _, sent := range []autoreg.Token{s.Mid, s.Suf} {
			k := slices.Index(seq, int32(sent)) + 1
			if seq[1] == int32(s.Suf) && sent == s.Mid {
				continue // SPM: the prefix follows <MID>
			}
			if seq[k] < 50 && seq[k]%5 == 3 {
				t.Fatalf("a part starts at a refused token: %v", seq)
			}
		}
	}
	if n < 900 || n > 1100 || spm < n/4-80 || spm > n/4+80 {
		t.Fatalf("%d FIM windows of 2000 (want ≈ 1000), %d SPM (want ≈ %d)", n, spm, n/4)
	}
}
