package kernels

// Instruction-set paths the dispatchers may take. They start as what the
// CPU supports (cpuAVX2, cpuAVX512, fixed at start-up) and are package
// variables, not constants, so that tests can switch them off to reach every
// path. Tests that change them must not run in parallel with other tests.
var (
	useAVX2   = cpuAVX2   // AVX2 + FMA3 (Haswell and later, Zen)
	useAVX512 = cpuAVX512 // AVX-512 F, VL, BW, DQ (Skylake-X and later, Zen 4 and later)
)

// Features reports the instruction-set path the dispatchers currently take:
// "avx512", "avx2" or "generic".
func Features() string {
	switch {
	case useAVX512:
		return "avx512"
	case useAVX2:
		return "avx2"
	}
	return "generic"
}
