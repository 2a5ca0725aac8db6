package lmzip

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestSpeedAB compares configurations (LMZIP_AB="cfg1;cfg2;...") on the file
// LMZIP_TRY, interleaving rounds and keeping each one's fastest: on a
// shared machine the minimum is the least disturbed run.
func TestSpeedAB(t *testing.T) {
	path, ab := os.Getenv("LMZIP_TRY"), os.Getenv("LMZIP_AB")
	if path == "" || ab == "" {
		t.Skip("set LMZIP_TRY and LMZIP_AB")
	}
	data, _ := os.ReadFile(path)
	cfgs := strings.Split(ab, ";")
	best := make([]time.Duration, len(cfgs))
	for round := 0; round < 10; round++ {
		for i, s := range cfgs {
			cfg, err := AdaptivePreset(s)
			if err != nil {
				if cfg, err = ParseAdaptiveConfig(s); err != nil {
					t.Fatal(err)
				}
			}
			t0 := time.Now()
			a := &adaptiveCodec{m: newCMModel(cfg)}
			a.encode(nil, data)
			if d := time.Since(t0); best[i] == 0 || d < best[i] {
				best[i] = d
			}
		}
	}
	for i, s := range cfgs {
		t.Logf("%-50s best %.3f MB/s", s, float64(len(data))/best[i].Seconds()/1e6)
	}
}

// TestRatioGrid prints bits per byte of configurations (LMZIP_AB) on
// LMZIP_TRY; a tuning aid.
func TestRatioGrid(t *testing.T) {
	path, ab := os.Getenv("LMZIP_TRY"), os.Getenv("LMZIP_GRID")
	if path == "" || ab == "" {
		t.Skip("set LMZIP_TRY and LMZIP_GRID")
	}
	data, _ := os.ReadFile(path)
	for _, s := range strings.Split(ab, ";") {
		var buf bytes.Buffer
		if _, err := Compress(context.Background(), &buf, bytes.NewReader(data), Options{Adaptive: s}); err != nil {
			t.Fatal(err)
		}
		t.Logf("%-55s %d bytes %.4f bits/byte", s, buf.Len(), float64(buf.Len()*8)/float64(len(data)))
	}
}
