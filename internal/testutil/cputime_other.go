//go:build !unix

package testutil

import "time"

// ProcessCPU is unavailable here: it reports zero.
func ProcessCPU() time.Duration { return 0 }
