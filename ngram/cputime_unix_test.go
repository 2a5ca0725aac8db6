//go:build unix

package ngram

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) this process has used: less
// sensitive than wall time to other work on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
