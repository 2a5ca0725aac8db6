package kernels

import "syscall"

// osYield gives the CPU to another runnable thread, if any (sched_yield):
// a spinning helper must not keep a descheduled one from running on a
// shared machine.
func osYield() { syscall.RawSyscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }
