package server

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// writeTimeout bounds one write of an event stream: a client that stops
// reading for this long is dropped, and its generation ends.
const writeTimeout = time.Minute

// eventStream writes Server-Sent Events: `data: ...` lines flushed one by
// one, and `: keep-alive` comments whenever nothing else was sent for a
// while (so that proxies and clients do not time out during a long queue
// wait or prompt). Safe for concurrent use (the choices of a request
// write to one stream).
type eventStream struct {
	mu   sync.Mutex
	w    http.ResponseWriter
	rc   *http.ResponseController
	last time.Time
	err  error
	quit chan struct{}
	done chan struct{}
}

// startEvents sends the headers of an event stream and starts its
// keep-alive comments.
func startEvents(w http.ResponseWriter, keepAlive time.Duration) *eventStream {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	e := &eventStream{w: w, rc: http.NewResponseController(w), quit: make(chan struct{}), done: make(chan struct{})}
	e.write([]byte(": stream\n\n"))
	go e.keepAlive(keepAlive)
	return e
}

func (e *eventStream) keepAlive(every time.Duration) {
	defer close(e.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-e.quit:
			return
		case <-t.C:
			e.mu.Lock()
			if time.Since(e.last) >= every && e.err == nil {
				e.writeLocked([]byte(": keep-alive\n\n"))
			}
			e.mu.Unlock()
		}
	}
}

// close stops the keep-alive comments.
func (e *eventStream) close() {
	close(e.quit)
	<-e.done
}

func (e *eventStream) write(b []byte) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.writeLocked(b)
}

func (e *eventStream) writeLocked(b []byte) error {
	if e.err != nil {
		return e.err
	}
	e.rc.SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := e.w.Write(b); err != nil {
		e.err = err
		return err
	}
	if err := e.rc.Flush(); err != nil {
		e.err = err
		return err
	}
	e.last = time.Now()
	return nil
}

// event sends v as one data event.
func (e *eventStream) event(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	buf := make([]byte, 0, len(b)+8)
	buf = append(buf, "data: "...)
	buf = append(buf, b...)
	buf = append(buf, "\n\n"...)
	return e.write(buf)
}

// finish sends the stream's last event, data: [DONE].
func (e *eventStream) finish() error { return e.write([]byte("data: [DONE]\n\n")) }
