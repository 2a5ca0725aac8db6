package lmzip

import (
	"math"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestNetAlone prints the bits per byte and speed of one online neural
// predictor on its own (no context mixing) over the first NET_N bytes of
// the file NET_TRY; NET_CFG is its configuration field, "n=cells,horizon,rate"
// (LSTM) or "g=width,heads,layers,window,rate" (GPT). A tuning aid.
func TestNetAlone(t *testing.T) {
	f, spec := os.Getenv("NET_TRY"), os.Getenv("NET_CFG")
	if f == "" || spec == "" {
		t.Skip("set NET_TRY, NET_CFG and optionally NET_N")
	}
	data, err := os.ReadFile(f)
	if err != nil || len(data) < 5 {
		t.Fatalf("NET_TRY: %v (or fewer than 5 bytes)", err)
	}
	if n, _ := strconv.Atoi(os.Getenv("NET_N")); n > 0 && n < len(data) {
		data = data[:n]
	}
	cfg, err := ParseAdaptiveConfig("cm o=1 w=0 m=0 h=10 l=127 r=3 x=1 a=0 " + spec)
	if err != nil {
		t.Fatal(err)
	}
	var net bytePredictor
	if cfg.LSTM > 0 {
		net = newLSTM(cfg.LSTM, cfg.Horizon, float32(cfg.LSTMRate)*1e-4)
	} else {
		net = newGPTOnline(cfg.GPT, cfg.GPTHeads, cfg.GPTLayers, cfg.GPTWindow, float32(cfg.GPTRate)*1e-4)
	}
	start := time.Now()
	var bits float64
	for i, c := range data {
		bits -= math.Log2(math.Max(float64(net.dist()[256+int(c)]), 1e-9))
		net.update(c)
		if (i+1)%(len(data)/5+1) == 0 {
			t.Logf("%d bytes: %.4f bits/char", i+1, bits/float64(i+1))
		}
	}
	el := time.Since(start)
	t.Logf("%s: %.4f bits/char, %.1f kB/s", spec, bits/float64(len(data)), float64(len(data))/el.Seconds()/1e3)
}
