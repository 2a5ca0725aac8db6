//go:build !noasm

package kernels

import "golang.org/x/sys/cpu"

// What this CPU (and OS) supports, when assembly is compiled in.
var (
	cpuAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	cpuAVX512 = cpuAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL &&
		cpu.X86.HasAVX512BW && cpu.X86.HasAVX512DQ
)
