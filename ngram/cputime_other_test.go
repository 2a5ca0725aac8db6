//go:build !unix

package ngram

import "time"

var processStart = time.Now()

func cpuTime() time.Duration { return time.Since(processStart) }
