//go:build !linux

package testutil

import "time"

// ThreadCPU is unavailable here: it reports zero.
func ThreadCPU() time.Duration { return 0 }
