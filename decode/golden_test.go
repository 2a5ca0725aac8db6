package decode

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/autoreg/autoreg"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// TestSeededGolden pins seeded samples, so that any change to the sampling
// arithmetic or to the consumption of the random stream shows up. The path
// is deterministic float32 arithmetic with explicit conversions, but float64
// expressions may fuse into FMAs on other architectures, so the comparison
// runs on amd64 only. Regenerate with: go test ./decode -run Golden -update
func TestSeededGolden(t *testing.T) {
	m := randomBigram(77, 26, 0.02)
	var out bytes.Buffer
	for _, order := range []string{"llama", "hf"} {
		for seed := range uint64(3) {
			cfg := busyConfig(seed)
			cfg.Order = order
			cfg.TypicalP, cfg.Eta, cfg.TopNSigma, cfg.NoRepeatNGram = 0.95, 1e-3, 3, 5
			cfg.MaxTokens = 60
			r := generateAll(t, m, cfg, []autoreg.Token{m.vocab.BOS(), 0})
			fmt.Fprintf(&out, "%s seed %d: %q %.6f %v\n", order, seed, r.Text, r.LogProb, r.Stop)
		}
	}
	path := filepath.Join("testdata", "seeded.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOARCH != "amd64" {
		t.Skipf("golden samples are pinned on amd64 (this is %s)", runtime.GOARCH)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Fatalf("seeded samples changed:\n%s\nwant:\n%s", out.Bytes(), want)
	}
}
