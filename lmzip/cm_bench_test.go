package lmzip

import (
	"bytes"
	"context"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/autoreg/autoreg/internal/testutil"
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
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	best := make([]time.Duration, len(cfgs))
	for round := 0; round < 10; round++ {
		for i, s := range cfgs {
			if full, ok := strings.CutPrefix(s, "full:"); ok {
				// The whole compressor: model, coder, container.
				t0 := threadCPU()
				if _, err := Compress(context.Background(), io.Discard, bytes.NewReader(data), Options{Adaptive: full}); err != nil {
					t.Fatal(err)
				}
				if d := threadCPU() - t0; best[i] == 0 || d < best[i] {
					best[i] = d
				}
				continue
			}
			cfg, err := AdaptivePreset(s)
			if err != nil {
				if cfg, err = ParseAdaptiveConfig(s); err != nil {
					t.Fatal(err)
				}
			}
			a := &adaptiveCodec{m: newCMModel(cfg)}
			t0 := threadCPU()
			a.encode(nil, data)
			if d := threadCPU() - t0; best[i] == 0 || d < best[i] {
				best[i] = d
			}
		}
	}
	for i, s := range cfgs {
		t.Logf("%-50s best %.3f MB/s", s, float64(len(data))/best[i].Seconds()/1e6)
	}
}

// threadCPU is the CPU time of the calling OS thread: on a loaded machine it
// excludes the time other processes held the CPU (0 off Linux).
func threadCPU() time.Duration { return testutil.ThreadCPU() }

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
		t0 := time.Now()
		if _, err := Compress(context.Background(), &buf, bytes.NewReader(data), Options{Adaptive: s}); err != nil {
			t.Fatal(err)
		}
		t.Logf("%-55s %d bytes %.4f bits/byte %.1f kB/s", s, buf.Len(), float64(buf.Len()*8)/float64(len(data)), float64(len(data))/time.Since(t0).Seconds()/1e3)
	}
}
