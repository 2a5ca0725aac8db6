package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoSeries runs the demo's time-series part on a small budget of
// steps: the embedded data, both models, the score table and the fan chart.
func TestDemoSeries(t *testing.T) {
	saved := demoSeriesOpts
	defer func() { demoSeriesOpts = saved }()
	demoSeriesOpts.Steps = 20
	dir := t.TempDir()
	var out strings.Builder
	if err := demoSeries(context.Background(), &out, io.Discard, dir, 1); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"7,305 days", "AR(57)+mixture             0.27", "LSTM  ", "seasonal naive"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	for _, f := range []string{"births.csv", "births.ar.arm", "births.lstm.arm", "births.forecast.png", "births.forecast.csv"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
}
