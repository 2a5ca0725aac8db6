package series

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// TimeAxis is a time column read as numbers, for plotting, and extended
// past its end, for labelling forecasts.
type TimeAxis struct {
	// X holds the times as numbers: the cells themselves for a numeric
	// column (years, say), Unix seconds for dates.
	X []float64
	// Dates reports whether the cells are dates (X in Unix seconds).
	Dates bool

	layout   string // time.Parse layout of dates
	decimals int    // digits after the point in numeric cells
}

// dateLayouts are the date and time formats ParseTimes recognises.
var dateLayouts = []string{"2006-01-02", time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01"}

// ParseTimes reads a time column: every cell a number, or every cell a
// date in one of the layouts YYYY-MM-DD, YYYY-MM, RFC 3339 or "YYYY-MM-DD
// hh:mm[:ss]" (read as UTC). At least two cells are needed to know the
// step.
func ParseTimes(cells []string) (*TimeAxis, error) {
	if len(cells) < 2 {
		return nil, fmt.Errorf("series: a time axis needs at least two times")
	}
	a := &TimeAxis{X: make([]float64, len(cells))}
	numeric := true
	for i, c := range cells {
		v, err := strconv.ParseFloat(c, 64)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			numeric = false
			break
		}
		a.X[i] = v
		if dot := strings.IndexByte(c, '.'); dot >= 0 && !strings.ContainsAny(c, "eE") {
			a.decimals = max(a.decimals, len(c)-dot-1)
		}
	}
	if numeric {
		return a, nil
	}
	for _, layout := range dateLayouts {
		ok := true
		for i, c := range cells {
			t, err := time.Parse(layout, c)
			if err != nil {
				ok = false
				break
			}
			a.X[i] = float64(t.Unix())
		}
		if ok {
			a.Dates, a.layout = true, layout
			return a, nil
		}
	}
	return nil, fmt.Errorf("series: time %q is neither a number nor a date (YYYY-MM-DD, YYYY-MM, RFC 3339)", firstBad(cells))
}

func firstBad(cells []string) string {
	for _, c := range cells {
		if _, err := strconv.ParseFloat(c, 64); err != nil {
			return c
		}
	}
	return cells[0]
}

// Next returns the time k ≥ 1 steps after the last one, as a number and as
// a label in the column's own format. The step is the last interval; month
// columns (YYYY-MM) step in calendar months.
func (a *TimeAxis) Next(k int) (float64, string) {
	n := len(a.X)
	last := a.X[n-1]
	step := last - a.X[n-2]
	if !a.Dates {
		v := last + float64(k)*step
		return v, strconv.FormatFloat(v, 'f', a.decimals, 64)
	}
	t := time.Unix(int64(last), 0).UTC()
	if a.layout == "2006-01" {
		prev := time.Unix(int64(a.X[n-2]), 0).UTC()
		months := (t.Year()-prev.Year())*12 + int(t.Month()-prev.Month())
		t = t.AddDate(0, k*months, 0)
	} else {
		t = t.Add(time.Duration(k) * time.Duration(step) * time.Second)
	}
	return float64(t.Unix()), t.Format(a.layout)
}
