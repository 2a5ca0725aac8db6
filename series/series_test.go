package series

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/autoreg/autoreg/internal/testutil"
)

func read(t *testing.T, data string, opt Options) ([]*Series, error) {
	t.Helper()
	return Read(strings.NewReader(data), "x.csv", opt)
}

func TestReadShared(t *testing.T) {
	ss, err := ReadFile(testutil.SharedFile(t, "data/timeseries/births.csv"), Options{Time: "date"})
	if err != nil {
		t.Fatal(err)
	}
	s := ss[0]
	if len(ss) != 1 || s.Len() != 7305 || s.Dim() != 1 || s.Columns[0] != "births" || s.At(0, 0) != 8486 || s.Times[0] != "1969-01-01" || s.Lines[0] != 2 {
		t.Fatalf("births: %d series, %d steps, columns %v, first %v at %q line %d", len(ss), s.Len(), s.Columns, s.At(0, 0), s.Times[0], s.Lines[0])
	}
	if n := TrainLen(s.Len(), 0.2); n != 5844 {
		t.Errorf("births train part %d, want 5844", n)
	}
	ss, err = ReadFile(testutil.SharedFile(t, "data/timeseries/sunspots.csv"), Options{Columns: []string{"value"}, Time: "year"})
	if err != nil {
		t.Fatal(err)
	}
	if s := ss[0]; s.Len() != 309 || TrainLen(s.Len(), 0.2) != 247 || s.At(308, 0) != 2.9 {
		t.Errorf("sunspots: %d steps, last %v", s.Len(), s.At(308, 0))
	}
}

func TestReadColumnsIDsMissing(t *testing.T) {
	data := "\ufeffid, t ,a,b,note\n" +
		"x,1,1.5,10,hello\n" +
		"y,1,7,,\"quoted, with comma\"\n" +
		"x,2,NaN,11,\n" +
		"y,2,8,NA,\n" +
		"x,3,2.5,12,\n" +
		"y,3,9,3,\n" +
		"y,4,10,6,\n"
	ss, err := read(t, data, Options{Columns: []string{"b", "a"}, Time: "t", ID: "id"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 2 || ss[0].ID != "x" || ss[1].ID != "y" {
		t.Fatalf("series %v", ss)
	}
	x, y := ss[0], ss[1]
	if x.Dim() != 2 || x.Len() != 3 || x.At(0, 0) != 10 || x.At(0, 1) != 1.5 || !math.IsNaN(x.At(1, 1)) || x.Times[2] != "3" {
		t.Errorf("x: %+v", x)
	}
	if !math.IsNaN(y.At(0, 0)) || !math.IsNaN(y.At(1, 0)) || y.At(2, 0) != 3 || y.Lines[3] != 8 {
		t.Errorf("y: %+v", y)
	}
	if c := x.Column(1); len(c) != 3 || c[2] != 2.5 {
		t.Errorf("column %v", c)
	}
	if h := x.Head(2); h.Len() != 2 || len(h.Values) != 4 || len(h.Times) != 2 {
		t.Errorf("head %+v", h)
	}
	// Without a column choice the one numeric column is taken.
	ss, err = read(t, "date,v\n2001-01-01,3\n2001-01-02,\n2001-01-03,4\n", Options{})
	if err != nil || ss[0].Columns[0] != "v" || ss[0].Len() != 3 {
		t.Errorf("automatic column: %v %v", ss, err)
	}
}

func TestReadErrors(t *testing.T) {
	for _, tc := range []struct {
		data string
		opt  Options
		want string
	}{
		{"", Options{}, "x.csv: empty file"},
		{"a,b\n", Options{}, "x.csv: no data rows"},
		{"a,b\n1,2\n3\n", Options{Columns: []string{"a"}}, "x.csv:3: the row has a different number of fields"},
		{"a,b\n1,2\n3,x\n", Options{Columns: []string{"b"}}, `x.csv:3: column "b": "x" is not a finite number`},
		{"a,b\n1,2\n3,Inf\n", Options{Columns: []string{"b"}}, `x.csv:3: column "b": "Inf" is not a finite number`},
		{"a,b\nx,y\nz,w\n", Options{}, "x.csv: no numeric column"},
		{"a,b\n1,2\n3,4\n", Options{}, `several numeric columns ("a", "b")`},
		{"a,b\n1,2\n3,2\n", Options{Columns: []string{"b"}}, `x.csv: column "b" is constant (every value is 2, lines 2–3)`},
		{"a,b\n1,\n3,\n", Options{Columns: []string{"b"}}, `column "b" has no values`},
		{"a,b\n1,2\n", Options{Columns: []string{"c"}}, `x.csv:1: no value column "c" (the header has "a", "b")`},
		{"a,a\n1,2\n", Options{}, `x.csv:1: the header names column "a" twice`},
		{"a,b\n1,2\n", Options{Columns: []string{"a", "a"}}, `column "a" is selected twice`},
		{"a,b\n1,2\n", Options{Columns: []string{"a"}, Time: "a"}, `column "a" is selected twice`},
		{"a,b\n1,\"2\n", Options{Columns: []string{"a"}}, "x.csv:2:"},
		{"id,v\np,1\np,1\nq,1\nq,2\n", Options{ID: "id"}, `series "p", column "v" is constant`},
	} {
		_, err := read(t, tc.data, tc.opt)
		var se *Error
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &se) {
			t.Errorf("%q: error %v, want %q", tc.data, err, tc.want)
		}
	}
	if _, err := ReadFile("/nonexistent/x.csv", Options{}); err == nil || !strings.Contains(err.Error(), "/nonexistent/x.csv: no such file") {
		t.Errorf("missing file: %v", err)
	}
}

func TestTrainLen(t *testing.T) {
	for _, c := range [][3]float64{{309, 0.2, 247}, {7305, 0.2, 5844}, {10, 0.2, 8}, {10, 0, 10}, {5844, 0.1, 5260}} {
		if got := TrainLen(int(c[0]), c[1]); got != int(c[2]) {
			t.Errorf("TrainLen(%v, %v) = %d, want %v", c[0], c[1], got, c[2])
		}
	}
}

func TestTimeAxis(t *testing.T) {
	a, err := ParseTimes([]string{"2008-12-30", "2008-12-31"})
	if err != nil || !a.Dates {
		t.Fatal(a, err)
	}
	if _, l := a.Next(2); l != "2009-01-02" {
		t.Errorf("daily next %q", l)
	}
	a, _ = ParseTimes([]string{"2007", "2008"})
	if x, l := a.Next(1); x != 2009 || l != "2009" || a.Dates {
		t.Errorf("yearly next %v %q", x, l)
	}
	a, _ = ParseTimes([]string{"0.1", "0.2", "0.3"})
	if _, l := a.Next(3); l != "0.6" {
		t.Errorf("decimal next %q", l)
	}
	a, _ = ParseTimes([]string{"2020-11", "2020-12"})
	if _, l := a.Next(3); l != "2021-03" {
		t.Errorf("monthly next %q", l)
	}
	a, _ = ParseTimes([]string{"2020-01-01T00:00:00Z", "2020-01-01T01:00:00Z"})
	if _, l := a.Next(1); l != "2020-01-01T02:00:00Z" {
		t.Errorf("hourly next %q", l)
	}
	if _, err := ParseTimes([]string{"2001", "soon"}); err == nil {
		t.Error("bad time accepted")
	}
}

func FuzzRead(f *testing.F) {
	f.Add("a,b\n1,2\n3,4\n", "b", "a", "")
	f.Add("id,t,v\nx,1,1\nx,2,\ny,1,3\ny,2,4\nx,3,5\n", "v", "t", "id")
	f.Add("v\n1\nnan\n2\n", "", "", "")
	f.Add("\"a\nb\",c\n1,2\n3,\"4\"\n", "c", "", "")
	f.Fuzz(func(t *testing.T, data, col, tcol, id string) {
		var opt Options
		if col != "" {
			opt.Columns = []string{col}
		}
		opt.Time, opt.ID = tcol, id
		ss, err := Read(strings.NewReader(data), "f.csv", opt)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "series: f.csv") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		for _, s := range ss {
			if s.Dim() == 0 || len(s.Values) != s.Len()*s.Dim() || (s.Times != nil && len(s.Times) != s.Len()) {
				t.Fatalf("inconsistent series %+v", s)
			}
			for _, v := range s.Values {
				if math.IsInf(v, 0) {
					t.Fatalf("infinite value in %+v", s)
				}
			}
		}
	})
}

func TestMeanStd(t *testing.T) {
	parts := [][]float64{{1, 10, 3, math.NaN()}, {5, 30}}
	mean, std, err := MeanStd(parts, 2, false)
	if err != nil || mean[0] != 3 || mean[1] != 20 || math.Abs(std[0]-math.Sqrt(8.0/3)) > 1e-15 || std[1] != 10 {
		t.Errorf("MeanStd = %v %v %v", mean, std, err)
	}
	mean, std, err = MeanStd(parts, 2, true)
	if err != nil || mean[0] != 49.0/5 || mean[1] != mean[0] || std[1] != std[0] {
		t.Errorf("pooled MeanStd = %v %v %v", mean, std, err)
	}
	if _, _, err := MeanStd([][]float64{{1, 2, 1, math.NaN()}}, 2, false); err == nil {
		t.Error("a dimension without values passed")
	}
	if _, _, err := MeanStd([][]float64{{4, 4}}, 1, false); err == nil {
		t.Error("a constant series passed")
	}
}
