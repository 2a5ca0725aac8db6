//go:build !linux

package testutil

import "time"

// ThreadCPU would return the CPU time the calling OS thread has used; only
// Linux offers that clock here, so it returns 0 and callers report wall
// time only.
func ThreadCPU() time.Duration { return 0 }
