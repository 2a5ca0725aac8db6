//go:build !unix

package neuraltest

import "time"

// CPUTime is unavailable here: it reports zero.
func CPUTime() time.Duration { return 0 }
