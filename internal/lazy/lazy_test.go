package lazy

import (
	"sync"
	"testing"
)

func TestValue(t *testing.T) {
	var v Value[int]
	builds := 0
	build := func() *int { builds++; n := builds; return &n }
	var wg sync.WaitGroup
	got := make([]*int, 8)
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[i] = v.Get(build) }()
	}
	wg.Wait()
	for _, p := range got {
		if p != got[0] || *p != 1 {
			t.Fatalf("concurrent Gets saw %v and %v", *p, *got[0])
		}
	}
	v.Drop()
	if p := v.Get(build); *p != 2 || builds != 2 {
		t.Fatalf("after Drop: value %d after %d builds, want a second build", *p, builds)
	}
	if p := v.Get(build); *p != 2 || builds != 2 {
		t.Fatal("Get built again without a Drop")
	}
	if a := testing.AllocsPerRun(100, func() { v.Get(build) }); a != 0 {
		t.Errorf("Get of a built value allocates %v times", a)
	}
}
