//go:build linux

package kernels

import (
	"syscall"
	"time"
	"unsafe"
)

// processCPU is the CPU time of the whole process
// (CLOCK_PROCESS_CPUTIME_ID, nanosecond resolution). On a shared machine,
// GFLOP per CPU-second of a single-threaded run is a far steadier figure
// than wall-clock GFLOP/s: time spent descheduled does not count.
func processCPU() time.Duration {
	var ts syscall.Timespec
	const clockProcessCPUTimeID = 2
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockProcessCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}
