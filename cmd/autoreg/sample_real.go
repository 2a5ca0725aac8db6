package main

import (
	"context"
	"io"
	"strconv"

	"github.com/autoreg/autoreg/forecast"
)

// runSampleReal is `autoreg sample` on a real-valued model: continuations
// drawn from the model, printed as CSV.
func runSampleReal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := realFlagSet("sample", "Generate a continuation from a real-valued model: each step drawn from the predictive and fed back, printed as CSV.",
		"--model FILE [--data FILE.csv] [--horizon N] [--num-return K] [--seed S]")
	var sf seriesFlags
	sf.register(fs, "a series to continue (default: start from the empty history; with several series, the first)")
	model := fs.String("model", "", "the real-valued model `FILE`")
	horizon := fs.Int("horizon", 100, "generate `N` steps")
	numReturn := fs.Int("num-return", 1, "continuations to generate (a path column numbers them when more than one)")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same values")
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return err
	}
	if *horizon < 1 || *numReturn < 1 {
		return usagef("--horizon and --num-return must be ≥ 1")
	}
	f, err := loadReal(*model)
	if err != nil {
		return err
	}
	st := f.Real.NewRealState()
	columns := f.Meta.Columns
	if sf.data != "" || len(pos) > 0 {
		ss, err := sf.read(pos, &f.Meta)
		if err != nil {
			return err
		}
		st.Append(ss[0].Values...)
		columns = ss[0].Columns
	}
	d := f.Real.Dim()
	if len(columns) != d {
		columns = nil
		for i := range d {
			columns = append(columns, "x"+strconv.Itoa(i+1))
		}
	}
	header := append([]string{"step"}, columns...)
	if *numReturn > 1 {
		header = append([]string{"path"}, header...)
	}
	// forecast.Paths seeds path p with (seed, p), so a path does not
	// depend on --num-return.
	paths, err := forecast.Paths(ctx, f.Real, st, *horizon, *numReturn, *seed)
	if err != nil {
		return err
	}
	var rows [][]string
	for p := range *numReturn {
		for h := range *horizon {
			var row []string
			if *numReturn > 1 {
				row = append(row, strconv.Itoa(p+1))
			}
			row = append(row, strconv.Itoa(h+1))
			for _, v := range paths[(p**horizon+h)*d : (p**horizon+h+1)*d] {
				row = append(row, formatValue(v))
			}
			rows = append(rows, row)
		}
	}
	return writeTable("", stdout, header, rows)
}
