package testutil

import (
	"syscall"
	"time"
)

// ThreadCPU returns the CPU time (user + system) the calling OS thread has
// used (Linux's RUSAGE_THREAD): a single-threaded measurement that time
// spent descheduled, and work on other threads, do not disturb. Callers
// lock the goroutine to its thread (runtime.LockOSThread) around the
// measured work. It returns 0 where the platform has no per-thread clock;
// callers then report wall time only.
func ThreadCPU() time.Duration { return rusageCPU(syscall.RUSAGE_THREAD) }
