// Package series reads real-valued time series from CSV files (RFC 4180:
// a header line naming the columns, then one row per time step) and splits
// them into training and test parts the way autoreg's reference anchors do.
// It knows nothing of models.
//
// Columns are chosen by name: one or more value columns (a step of D
// values, dimension i being the i-th column named), an optional time
// column kept as text for plots and forecast tables, and an optional
// series-id column that lets one file hold several series. An empty cell
// or NaN (or NA, in any case) is a missing value, kept as NaN: evaluation
// never scores it, and a model conditioning on it uses its own predictive
// mean in its place (see autoreg.RealState).
//
// Every error names the file and, where there is one, the line.
package series

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Options selects the columns to read.
type Options struct {
	// Columns names the value columns, in order; dimension i of a step is
	// Columns[i]. Empty: the one column (besides Time and ID) whose cells
	// are all numbers or missing; several such columns are an error that
	// lists them.
	Columns []string
	// Time names an optional time column, kept as text.
	Time string
	// ID names an optional series-id column: rows with the same id form
	// one series (in file order), series in order of first appearance.
	ID string
}

// Series is one time series: Len steps of Dim values.
type Series struct {
	// ID is the id column's value ("" without an id column).
	ID string
	// Columns names the value columns (Dim of them).
	Columns []string
	// Times holds the time column's cells (nil without one).
	Times []string
	// Values holds the steps row-major: step t is Values[t·Dim:(t+1)·Dim].
	// NaN is a missing value; every other value is finite.
	Values []float64
	// Lines holds each step's line in the file (the header is line 1).
	Lines []int
}

// Dim is the number of values per step.
func (s *Series) Dim() int { return len(s.Columns) }

// Len is the number of steps.
func (s *Series) Len() int { return len(s.Lines) }

// At returns value i of step t.
func (s *Series) At(t, i int) float64 { return s.Values[t*s.Dim()+i] }

// Column returns a copy of the values of dimension i.
func (s *Series) Column(i int) []float64 {
	out := make([]float64, s.Len())
	for t := range out {
		out[t] = s.At(t, i)
	}
	return out
}

// Head returns the series' first n steps, sharing storage with s.
func (s *Series) Head(n int) *Series {
	h := *s
	h.Values = s.Values[:n*s.Dim()]
	h.Lines = s.Lines[:n]
	if s.Times != nil {
		h.Times = s.Times[:n]
	}
	return &h
}

// Error is a problem with a CSV file; Line is 0 when it concerns no single
// line.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("series: %s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("series: %s: %s", e.File, e.Msg)
}

// ReadFile reads the series of a CSV file.
func ReadFile(path string, opt Options) ([]*Series, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &Error{File: path, Msg: err.Error()}
	}
	defer f.Close()
	return Read(f, path, opt)
}

// isMissing reports whether a cell is a missing value.
func isMissing(cell string) bool {
	return cell == "" || strings.EqualFold(cell, "nan") || strings.EqualFold(cell, "na")
}

// parseCell parses a value cell: a finite number, or NaN for missing.
func parseCell(cell string) (float64, bool) {
	cell = strings.TrimSpace(cell)
	if isMissing(cell) {
		return math.NaN(), true
	}
	v, err := strconv.ParseFloat(cell, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

// Read reads the series of CSV data; name names the data in errors.
func Read(r io.Reader, name string, opt Options) ([]*Series, error) {
	fail := func(line int, format string, args ...any) error {
		return &Error{File: name, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fail(0, "%v", err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fail(0, "empty file: want a header line naming the columns")
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	names := make([]string, len(header))
	index := map[string]int{}
	for i, h := range header {
		names[i] = strings.TrimSpace(h)
		if _, dup := index[names[i]]; dup {
			return nil, fail(1, "the header names column %q twice", names[i])
		}
		index[names[i]] = i
	}
	find := func(what, col string) (int, error) {
		i, ok := index[col]
		if !ok {
			return 0, fail(1, "no %s column %q (the header has %s)", what, col, quoteList(names))
		}
		return i, nil
	}
	timeCol, idCol := -1, -1
	if opt.Time != "" {
		if timeCol, err = find("time", opt.Time); err != nil {
			return nil, err
		}
	}
	if opt.ID != "" {
		if idCol, err = find("series-id", opt.ID); err != nil {
			return nil, err
		}
	}
	// Read every row once; cells are kept as text until the value columns
	// are known.
	var rows [][]string
	var lines []int
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		line, _ := cr.FieldPos(0)
		rows = append(rows, slices.Clone(rec))
		lines = append(lines, line)
	}
	if len(rows) == 0 {
		return nil, fail(0, "no data rows after the header")
	}
	var cols []int
	if len(opt.Columns) > 0 {
		for _, c := range opt.Columns {
			i, err := find("value", c)
			if err != nil {
				return nil, err
			}
			if i == timeCol || i == idCol || slices.Contains(cols, i) {
				return nil, fail(1, "column %q is selected twice", c)
			}
			cols = append(cols, i)
		}
	} else {
		var numeric []int
		for i := range names {
			if i == timeCol || i == idCol {
				continue
			}
			if numericColumn(rows, i) {
				numeric = append(numeric, i)
			}
		}
		switch len(numeric) {
		case 0:
			return nil, fail(0, "no numeric column (the header has %s)", quoteList(names))
		case 1:
			cols = numeric
		default:
			var ns []string
			for _, i := range numeric {
				ns = append(ns, names[i])
			}
			return nil, fail(0, "several numeric columns (%s): choose the value column(s)", quoteList(ns))
		}
	}
	colNames := make([]string, len(cols))
	for j, i := range cols {
		colNames[j] = names[i]
	}
	var out []*Series
	byID := map[string]*Series{}
	for r, rec := range rows {
		id := ""
		if idCol >= 0 {
			id = strings.TrimSpace(rec[idCol])
		}
		s := byID[id]
		if s == nil {
			s = &Series{ID: id, Columns: colNames}
			if timeCol >= 0 {
				s.Times = []string{}
			}
			byID[id] = s
			out = append(out, s)
		}
		for j, i := range cols {
			v, ok := parseCell(rec[i])
			if !ok {
				return nil, fail(lines[r], "column %q: %q is not a finite number (a missing value is an empty cell or NaN)", colNames[j], rec[i])
			}
			s.Values = append(s.Values, v)
		}
		if timeCol >= 0 {
			s.Times = append(s.Times, strings.TrimSpace(rec[timeCol]))
		}
		s.Lines = append(s.Lines, lines[r])
	}
	for _, s := range out {
		if err := checkVaries(s, name); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// numericColumn reports whether every cell of column i is a number or
// missing, and at least one is a number.
func numericColumn(rows [][]string, i int) bool {
	seen := false
	for _, rec := range rows {
		v, ok := parseCell(rec[i])
		if !ok {
			return false
		}
		seen = seen || !math.IsNaN(v)
	}
	return seen
}

// checkVaries rejects a column with no values or one value throughout: it
// cannot be standardized, and no model of it is worth fitting.
func checkVaries(s *Series, name string) error {
	what := "column"
	if s.ID != "" {
		what = fmt.Sprintf("series %q, column", s.ID)
	}
	for i, col := range s.Columns {
		first := math.NaN()
		varies := false
		for t := range s.Len() {
			v := s.At(t, i)
			switch {
			case math.IsNaN(v):
			case math.IsNaN(first):
				first = v
			case v != first:
				varies = true
			}
		}
		span := fmt.Sprintf("lines %d–%d", s.Lines[0], s.Lines[len(s.Lines)-1])
		switch {
		case math.IsNaN(first):
			return &Error{File: name, Msg: fmt.Sprintf("%s %q has no values, only missing cells (%s)", what, col, span)}
		case !varies:
			return &Error{File: name, Msg: fmt.Sprintf("%s %q is constant (every value is %g, %s): nothing to model", what, col, first, span)}
		}
	}
	return nil
}

// csvError turns encoding/csv's errors (ragged rows, bad quotes) into
// errors naming the file and line.
func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		msg := pe.Err.Error()
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			msg = "the row has a different number of fields than the header"
		}
		return &Error{File: name, Line: pe.Line, Msg: msg}
	}
	return &Error{File: name, Msg: err.Error()}
}

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = strconv.Quote(x)
	}
	return strings.Join(q, ", ")
}

// TrainLen is the number of leading points of a series of n that form the
// training part when the last testFrac of it is held out for testing:
// round((1 − testFrac)·n), halves away from zero. The anchors' rule: test
// = the last n − round(0.8·n) points for testFrac 0.2 (sunspots 247 / 62,
// births 5,844 / 1,461). A validation part is carved from the end of the
// training part by the same rule: TrainLen(TrainLen(n, test), valid).
func TrainLen(n int, testFrac float64) int {
	return int(math.Round(float64(n) * (1 - testFrac)))
}

// MeanStd returns the mean and population standard deviation of each of the
// d values of a step over parts (steps of d values each, NaN missing), the
// standardization a model fitted on them uses. With pooled set every
// dimension gets the statistics of all values together. It fails when a
// dimension (or the pool) has no value or does not vary.
func MeanStd(parts [][]float64, d int, pooled bool) (mean, std []float64, err error) {
	mean, std = make([]float64, d), make([]float64, d)
	dim := func(i int) int {
		if pooled {
			return 0
		}
		return i
	}
	cnt := make([]float64, d)
	for _, p := range parts {
		for k, v := range p {
			if !math.IsNaN(v) {
				mean[dim(k%d)] += v
				cnt[dim(k%d)]++
			}
		}
	}
	for i := range d {
		mean[i] /= cnt[i]
	}
	for _, p := range parts {
		for k, v := range p {
			if !math.IsNaN(v) {
				dv := v - mean[dim(k%d)]
				std[dim(k%d)] += dv * dv
			}
		}
	}
	for i := range d {
		if pooled && i > 0 {
			mean[i], std[i] = mean[0], std[0]
			continue
		}
		if cnt[i] == 0 || !(std[i] > 0) {
			return nil, nil, fmt.Errorf("value %d is missing or constant, so there is no scale to standardize by", i)
		}
		std[i] = math.Sqrt(std[i] / cnt[i])
	}
	return mean, std, nil
}
