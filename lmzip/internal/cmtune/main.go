// Command cmtune is the tuning aid of lmzip's adaptive mode: it compares
// configurations (presets or configuration strings, docs/COMPRESSION.md)
// on a file, by speed or by size, and runs an online network on its own.
//
//	cmtune -ab 'mix;cm o=1,2,3 w=0 …' FILE   speed: rounds interleaved, each configuration's fastest
//	                                         compression in thread CPU time (the least disturbed run
//	                                         on a shared machine), in MB/s
//	cmtune -grid 'lstm;gpt;…' FILE           size: compressed bytes and bits per byte of each
//	cmtune -net 'n=128,10,50' [-n N] FILE    one online network alone (n=cells,horizon,rate or
//	                                         g=width,heads,blocks,window,rate): bits per byte of its
//	                                         own predictions over the first N bytes, and speed
//
// It measures the current revision of the networks.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/autoreg/autoreg/internal/testutil"
	"github.com/autoreg/autoreg/lmzip"
	"github.com/autoreg/autoreg/lmzip/internal/online"
)

func main() {
	ab := flag.String("ab", "", "configurations to time, separated by ';'")
	grid := flag.String("grid", "", "configurations to size, separated by ';'")
	net := flag.String("net", "", "an online network's configuration field, n=… or g=…")
	n := flag.Int("n", 0, "with -net: only the first n bytes (0: all)")
	rounds := flag.Int("rounds", 10, "with -ab: interleaved rounds")
	flag.Parse()
	modes := 0
	for _, m := range []string{*ab, *grid, *net} {
		if m != "" {
			modes++
		}
	}
	if flag.NArg() != 1 || modes != 1 {
		fmt.Fprintln(os.Stderr, "usage: cmtune (-ab CONFIGS | -grid CONFIGS | -net FIELD [-n N]) FILE")
		os.Exit(2)
	}
	data, err := os.ReadFile(flag.Arg(0))
	check(err)
	switch {
	case *ab != "":
		speeds(data, strings.Split(*ab, ";"), *rounds)
	case *grid != "":
		sizes(data, strings.Split(*grid, ";"))
	default:
		if *n > 0 && *n < len(data) {
			data = data[:*n]
		}
		alone(data, *net)
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "cmtune:", err)
		os.Exit(1)
	}
}

// speeds times the compression of data with each configuration, rounds
// interleaved, and prints each one's fastest.
func speeds(data []byte, cfgs []string, rounds int) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	clock := testutil.ThreadCPU
	if clock() == 0 { // no thread CPU time here: the wall clock
		start := time.Now()
		clock = func() time.Duration { return time.Since(start) }
	}
	best := make([]time.Duration, len(cfgs))
	for range rounds {
		for i, c := range cfgs {
			t0 := clock()
			_, err := lmzip.Compress(context.Background(), io.Discard, bytes.NewReader(data), lmzip.Options{Adaptive: c})
			check(err)
			if d := clock() - t0; best[i] == 0 || d < best[i] {
				best[i] = d
			}
		}
	}
	for i, c := range cfgs {
		fmt.Printf("%-60s best %.3f MB/s\n", c, float64(len(data))/best[i].Seconds()/1e6)
	}
}

// sizes prints the compressed size of data with each configuration.
func sizes(data []byte, cfgs []string) {
	for _, c := range cfgs {
		var buf bytes.Buffer
		t0 := time.Now()
		_, err := lmzip.Compress(context.Background(), &buf, bytes.NewReader(data), lmzip.Options{Adaptive: c})
		check(err)
		fmt.Printf("%-60s %d bytes %.4f bits/byte %.1f kB/s\n", c, buf.Len(), float64(buf.Len()*8)/float64(len(data)),
			float64(len(data))/time.Since(t0).Seconds()/1e3)
	}
}

// A predictor is an online network seen from outside: its distribution
// over the next byte as a sum tree, and learning the byte that came.
type predictor interface {
	Dist() *online.Tree
	Update(c byte)
}

// alone runs the network of the configuration field spec over data on its
// own and prints its cost, five times along the way and at the end.
func alone(data []byte, spec string) {
	cfg, err := lmzip.ParseAdaptiveConfig("cm o=1 w=0 m=0 h=10 l=127 r=3 x=1 a=0 " + spec)
	check(err)
	var p predictor
	if cfg.LSTM > 0 {
		p = online.NewLSTM(cfg.LSTM, cfg.Horizon, float32(cfg.LSTMRate)*1e-4)
	} else {
		p = online.NewGPT(cfg.GPT, cfg.GPTHeads, cfg.GPTLayers, cfg.GPTWindow, float32(cfg.GPTRate)*1e-4)
	}
	start := time.Now()
	var bits float64
	for i, c := range data {
		bits -= math.Log2(math.Max(float64(p.Dist()[256+int(c)]), 1e-9))
		p.Update(c)
		if (i+1)%(len(data)/5+1) == 0 {
			fmt.Printf("%d bytes: %.4f bits/byte\n", i+1, bits/float64(i+1))
		}
	}
	fmt.Printf("%s: %.4f bits/byte, %.1f kB/s\n", spec, bits/float64(len(data)), float64(len(data))/time.Since(start).Seconds()/1e3)
}
