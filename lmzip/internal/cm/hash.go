package cm

// Hash mixes two 64-bit words into 32 bits (the contexts' hashes, and the
// online networks' initial weights).
func Hash(a, b uint64) uint32 {
	h := (a+0x9E3779B97F4A7C15)*0xBF58476D1CE4E5B9 ^ (b+0x632BE59BD9B4E019)*0x94D049BB133111EB
	h ^= h >> 31
	h *= 0xD6E8FEB86659FD93
	h ^= h >> 32
	return uint32(h)
}
