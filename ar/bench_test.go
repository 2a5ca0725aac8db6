package ar

import (
	"context"
	"testing"
)

// BenchmarkSelectFitBirths is the speed comparison with statsmodels
// (scripts/bench-ar-vs-statsmodels.sh): order selection over 0..60 by AIC
// on the births training part, then the fit of the chosen order.
func BenchmarkSelectFitBirths(b *testing.B) {
	y := loadSeries(b, "births")[:5844]
	ys := [][]float64{y}
	b.ResetTimer()
	for range b.N {
		if _, rep, err := Fit(context.Background(), ys, Options{MaxLag: 60, Criterion: AIC}); err != nil || rep.Order != 57 {
			b.Fatal(err)
		}
	}
}
