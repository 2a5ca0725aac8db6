package ngram

import (
	"fmt"
	"strconv"
	"strings"
)

// ParsePrune parses pruning thresholds written as the CLI's --prune takes
// them, "0,0,1" (commas or spaces), into Options.Prune. The values are
// checked by NewBuilder, which knows the order.
func ParsePrune(s string) ([]uint64, error) {
	fs := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
	if len(fs) == 0 {
		return nil, fmt.Errorf("ngram: empty pruning thresholds %q", s)
	}
	out := make([]uint64, len(fs))
	for i, f := range fs {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("ngram: bad pruning threshold %q in %q", f, s)
		}
		out[i] = v
	}
	return out, nil
}

// ParseDiscounts parses fallback discounts written as the CLI's
// --discount-fallback takes them, "0.5,1,1.5": one to three values for
// adjusted counts 1, 2 and 3+, the last repeating (lmplz's rule); D(k) must
// lie in [0, k].
func ParseDiscounts(s string) ([3]float64, error) {
	var d [3]float64
	fs := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
	if len(fs) == 0 || len(fs) > 3 {
		return d, fmt.Errorf("ngram: %q: give one to three discounts, for adjusted counts 1, 2 and 3+", s)
	}
	for k := 0; k < 3; k++ {
		f := fs[min(k, len(fs)-1)]
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return d, fmt.Errorf("ngram: bad discount %q in %q", f, s)
		}
		if !(v >= 0 && v <= float64(k+1)) {
			return d, fmt.Errorf("ngram: discount D(%d) = %g outside [0, %d]", k+1, v, k+1)
		}
		d[k] = v
	}
	return d, nil
}
