// Package lazy holds a value built on first use and dropped when what it
// was built from changes: the neural families' copies of their weights
// packed into the matrix kernels' panel layout (kernels.PackedB), which
// inference reads and training makes stale.
package lazy

import (
	"sync"
	"sync/atomic"
)

// Value is a *T built on first use. Its zero value holds nothing; it is
// safe for concurrent use.
type Value[T any] struct {
	p  atomic.Pointer[T]
	mu sync.Mutex
}

// Get returns the value, building it with build first if there is none.
// Concurrent callers wait for one build; once built, Get is one atomic
// load.
func (v *Value[T]) Get(build func() *T) *T {
	if p := v.p.Load(); p != nil {
		return p
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if p := v.p.Load(); p != nil {
		return p
	}
	p := build()
	v.p.Store(p)
	return p
}

// Drop forgets the value: the next Get builds it again.
func (v *Value[T]) Drop() { v.p.Store(nil) }
