package server

import (
	"context"
	"errors"
	"sync/atomic"
)

// slots bound the completions generating at once (busy's capacity) and
// those waiting for a slot (queue). A request beyond both is refused at
// once rather than queued without bound: the client is told to retry.
type slots struct {
	busy    chan struct{}
	queue   int64
	waiting atomic.Int64
}

// errQueueFull is admit's answer when every slot is busy and the queue is
// full.
var errQueueFull = errors.New("server: every slot is busy and the queue is full")

func newSlots(parallel, queue int) *slots {
	return &slots{busy: make(chan struct{}, parallel), queue: int64(queue)}
}

// ticket is an admitted request: holding a slot, or a place in the queue.
type ticket struct {
	s      *slots
	slot   bool // holds a slot
	queued bool // holds a place in the queue
}

// admit takes a free slot or a place in the queue, or refuses at once.
func (s *slots) admit() (*ticket, error) {
	select {
	case s.busy <- struct{}{}:
		return &ticket{s: s, slot: true}, nil
	default:
	}
	if s.waiting.Add(1) > s.queue {
		s.waiting.Add(-1)
		return nil, errQueueFull
	}
	return &ticket{s: s, queued: true}, nil
}

// wait holds until the ticket has a slot, or ctx ends.
func (t *ticket) wait(ctx context.Context) error {
	if t.slot {
		return nil
	}
	select {
	case t.s.busy <- struct{}{}:
		t.slot = true
		t.leaveQueue()
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (t *ticket) leaveQueue() {
	if t.queued {
		t.queued = false
		t.s.waiting.Add(-1)
	}
}

// done gives back what the ticket holds.
func (t *ticket) done() {
	t.leaveQueue()
	if t.slot {
		t.slot = false
		<-t.s.busy
	}
}
