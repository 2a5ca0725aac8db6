package series_test

import (
	"fmt"
	"strings"

	"github.com/autoreg/autoreg/series"
)

func Example() {
	csv := "date,site,visits\n" +
		"2024-01-01,a,12\n" +
		"2024-01-01,b,7\n" +
		"2024-01-02,a,\n" +
		"2024-01-02,b,9\n" +
		"2024-01-03,a,15\n" +
		"2024-01-03,b,8\n"
	ss, err := series.Read(strings.NewReader(csv), "visits.csv", series.Options{Columns: []string{"visits"}, Time: "date", ID: "site"})
	if err != nil {
		panic(err)
	}
	for _, s := range ss {
		fmt.Println(s.ID, s.Column(0), s.Times)
	}
	axis, _ := series.ParseTimes(ss[0].Times)
	_, next := axis.Next(1)
	fmt.Println("next:", next, "train part of 10 with 20% held out:", series.TrainLen(10, 0.2))
	// Output:
	// a [12 NaN 15] [2024-01-01 2024-01-02 2024-01-03]
	// b [7 9 8] [2024-01-01 2024-01-02 2024-01-03]
	// next: 2024-01-04 train part of 10 with 20% held out: 8
}
