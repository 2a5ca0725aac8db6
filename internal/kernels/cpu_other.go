//go:build noasm || !amd64

package kernels

// Without assembly only the portable path exists.
const (
	cpuAVX2   = false
	cpuAVX512 = false
)
