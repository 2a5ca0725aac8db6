package server

import (
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// writeTimeout bounds one write of an event stream: a client that stops
// reading for this long is dropped, and its generation ends.
const writeTimeout = time.Minute

// maxBacklog is how many events of a stream may wait for its writer
// before its sequences sit out the batched steps.
const maxBacklog = 64

// eventStream writes Server-Sent Events from its own goroutine: `data:
// ...` events are queued (never blocking the generation, whatever the
// client's speed), encoded and written in order, all those waiting going
// out in one write and one flush; a `: keep-alive` comment goes out
// whenever nothing else was sent for a while (so that proxies and clients
// do not time out during a long queue wait or prompt). Safe for
// concurrent use (the choices of a request send to one stream).
type eventStream struct {
	w         http.ResponseWriter
	rc        *http.ResponseController
	keepAlive time.Duration
	onError   func() // called once when a write fails
	wake      chan struct{}
	done      chan struct{}
	waiting   atomic.Int64 // events queued and not yet written

	mu      sync.Mutex // guards what follows
	queue   []streamEvent
	closing bool
	err     error

	// The writer's own.
	last time.Time
	buf  []byte
	out  []streamEvent // the spare queue buffer
}

// streamEvent is one queued event: a choice's text and logprobs entries
// (ru set), or a value to encode as it is (v), or raw bytes of the stream.
type streamEvent struct {
	ru     *run
	index  int
	text   string
	toks   []tokenInfo
	finish string
	v      any
	raw    string
}

// startEvents sends the headers of an event stream and starts its writer.
// onError is called once if a write fails (the client went away).
func startEvents(w http.ResponseWriter, keepAlive time.Duration, onError func()) *eventStream {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	e := &eventStream{w: w, rc: http.NewResponseController(w), keepAlive: keepAlive, onError: onError,
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	e.send(streamEvent{raw: ": stream\n\n"})
	go e.writer()
	return e
}

// send queues an event; it fails only when an earlier write failed.
func (e *eventStream) send(ev streamEvent) error {
	e.mu.Lock()
	if e.err != nil {
		e.mu.Unlock()
		return e.err
	}
	e.queue = append(e.queue, ev)
	e.waiting.Add(1)
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
	return nil
}

// event queues v as one data event.
func (e *eventStream) event(v any) error { return e.send(streamEvent{v: v}) }

// finish queues the stream's last event, data: [DONE].
func (e *eventStream) finish() error { return e.send(streamEvent{raw: "data: [DONE]\n\n"}) }

// behind reports whether the writer has too many events to catch up on.
func (e *eventStream) behind() bool { return e.waiting.Load() >= maxBacklog }

// close writes what is queued and stops the writer: nothing is written
// after it returns.
func (e *eventStream) close() {
	e.mu.Lock()
	e.closing = true
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
	<-e.done
}

// writer is the stream's goroutine.
func (e *eventStream) writer() {
	defer close(e.done)
	t := time.NewTicker(e.keepAlive)
	defer t.Stop()
	e.last = time.Now()
	for {
		select {
		case <-e.wake:
		case <-t.C:
			if time.Since(e.last) >= e.keepAlive {
				e.write(append(e.buf[:0], ": keep-alive\n\n"...))
			}
			continue
		}
		for {
			// Take the queue, leaving the spare buffer in its place: the
			// senders append to one while this writes the other.
			e.mu.Lock()
			evs, closing := e.queue, e.closing
			e.queue, e.out = e.out[:0], nil
			e.mu.Unlock()
			if len(evs) > 0 {
				b := e.buf[:0]
				for i := range evs {
					b = evs[i].appendTo(b)
				}
				e.write(b)
				e.waiting.Add(-int64(len(evs)))
				clear(evs)
			}
			e.out = evs[:0]
			if len(evs) == 0 {
				if closing {
					return
				}
				break
			}
		}
	}
}

// write sends b and flushes it, unless an earlier write failed.
func (e *eventStream) write(b []byte) {
	e.buf = b[:0]
	e.mu.Lock()
	failed := e.err != nil
	e.mu.Unlock()
	if failed {
		return
	}
	e.rc.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := e.w.Write(b)
	if err == nil {
		err = e.rc.Flush()
	}
	if err != nil {
		e.mu.Lock()
		e.err = err
		e.mu.Unlock()
		if e.onError != nil {
			e.onError()
		}
		return
	}
	e.last = time.Now()
}

// appendTo appends the event's bytes of the stream to b.
func (ev *streamEvent) appendTo(b []byte) []byte {
	if ev.raw != "" {
		return append(b, ev.raw...)
	}
	v := ev.v
	if ev.ru != nil {
		v = ev.ru.choiceEvent(ev.index, ev.text, ev.toks, ev.finish)
	}
	j, err := json.Marshal(v)
	if err != nil { // the server's own values always encode
		j, _ = json.Marshal((&apiError{status: http.StatusInternalServerError, kind: "server_error", message: err.Error()}).body())
	}
	b = append(b, "data: "...)
	b = append(b, j...)
	return append(b, "\n\n"...)
}
