package lmzip

import (
	"bytes"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/autoreg/autoreg/arith"
)

func TestTryCM(t *testing.T) {
	path := os.Getenv("LMZIP_TRY")
	if path == "" {
		t.Skip()
	}
	data, _ := os.ReadFile(path)
	for _, arch := range archs() {
		cfg, err := AdaptivePreset(arch)
		if err != nil {
			cfg, err = ParseAdaptiveConfig(arch)
			if err != nil {
				t.Fatal(err)
			}
		}
		t0 := time.Now()
		u0 := cpuTime()
		m := newCMModel(cfg)
		var buf bytes.Buffer
		enc := arith.NewEncoder(&buf)
		for _, c := range data {
			for i := 7; i >= 0; i-- {
				b := int(c>>uint(i)) & 1
				enc.EncodeBit(b, m.P())
				m.Update(b)
			}
		}
		enc.Close()
		el := time.Since(t0)
		cpu := cpuTime() - u0
		t.Logf("%s: %d -> %d bytes, %.4f bpc, %.2f MB/s wall, %.2f MB/s cpu", arch, len(data), buf.Len(), float64(buf.Len()*8)/float64(len(data)), float64(len(data))/el.Seconds()/1e6, float64(len(data))/cpu/1e6)
	}
}

func archs() []string {
	if a := os.Getenv("LMZIP_ARCH"); a != "" {
		return []string{a}
	}
	return []string{"ngram", "mix"}
}

func cpuTime() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
