package child

// bounded keeps the first (or, with last, the last) max bytes written to
// it, in at most twice max bytes of memory. It never fails a write: a
// program whose output is cut keeps running to its end or deadline.
type bounded struct {
	b    []byte
	max  int
	last bool
	cut  bool
}

func (w *bounded) Write(p []byte) (int, error) {
	n := len(p)
	if !w.last {
		if room := w.max - len(w.b); room < len(p) {
			p = p[:max(room, 0)]
			w.cut = true
		}
		w.b = append(w.b, p...)
		return n, nil
	}
	if len(p) > w.max {
		p = p[len(p)-w.max:]
	}
	w.b = append(w.b, p...)
	if len(w.b) > w.max {
		w.cut = true // bytes drops the front
	}
	if len(w.b) > 2*w.max {
		w.b = append(w.b[:0], w.b[len(w.b)-w.max:]...)
	}
	return n, nil
}

// bytes is what was kept.
func (w *bounded) bytes() []byte {
	if w.last && len(w.b) > w.max {
		return w.b[len(w.b)-w.max:]
	}
	return w.b
}
