package stacks

import "testing"

// sigOnly is the signature alone.
func sigOnly(sig, _ string) string { return sig }

func TestSign(t *testing.T) {
	a := []PyThread{
		{ID: "0x1", Current: true, Frames: []PyFrame{{"/usr/lib/python3/dist-packages/pagekite/pk.py", 3967, "Epoll"}, {"/usr/lib/python3/dist-packages/pagekite/pk.py", 4028, "Loop"}}},
		{ID: "0x2", Frames: []PyFrame{{"/usr/lib/python3.11/threading.py", 320, "wait"}}},
	}
	// The same wedge elsewhere: other thread ids, order, lines, paths.
	b := []PyThread{
		{ID: "0x9", Frames: []PyFrame{{"/usr/lib/python3.12/threading.py", 355, "wait"}}},
		{ID: "0x8", Frames: []PyFrame{{"/opt/pk/pk.py", 4000, "Epoll"}, {"/opt/pk/pk.py", 4100, "Loop"}}},
	}
	sa, from := Sign(nil, a, nil, nil)
	sb, _ := Sign(nil, b, nil, nil)
	if sa == "" || from != "python" || sa != sb {
		t.Errorf("Sign(a) = %q (%s), Sign(b) = %q; want one python signature", sa, from, sb)
	}
	c := []PyThread{{ID: "0x1", Frames: []PyFrame{{"pk.py", 1, "Select"}}}}
	if sc, _ := Sign(nil, c, nil, nil); sc == sa {
		t.Error("another wedge has the same signature")
	}
	n1 := []NativeThread{{TID: 5, Frames: []NativeFrame{{Module: "libc.so.6", Offset: "0x1", Symbol: "__pthread_mutex_lock@GLIBC_2.2.5"}, {Symbol: "lock_ab"}}}}
	n2 := []NativeThread{{TID: 7, Frames: []NativeFrame{{Module: "libc.so.6", Offset: "0x2", Symbol: "__pthread_mutex_lock"}, {Symbol: "lock_ab"}}}}
	s1, from := Sign(nil, nil, n1, nil)
	s2, _ := Sign(nil, nil, n2, nil)
	if s1 == "" || from != "native" || s1 != s2 {
		t.Errorf("native signatures %q, %q (%s); want equal, from native", s1, s2, from)
	}
	th := []Thread{{TID: 1, State: "S", Syscall: "futex", Wchan: "futex_do_wait"}, {TID: 2, State: "S", Syscall: "futex", Wchan: "futex_do_wait"}}
	if s, from := Sign(nil, nil, nil, th); s == "" || from != "threads" {
		t.Errorf("Sign(threads) = %q, %q", s, from)
	}
	// Stopped: the tracebacks came after the thaw; the states while
	// stopped sign it, whatever the tracebacks say.
	stopped := []Thread{{TID: 1, State: "T", Syscall: "epoll_wait", Wchan: "do_signal_stop"}, {TID: 2, State: "T", Syscall: "clock_nanosleep", Wchan: "do_signal_stop"}}
	s1, from1 := Sign(nil, a, nil, stopped)
	s2, from2 := Sign(nil, c, nil, stopped)
	if s1 == "" || from1 != "threads" || from2 != "threads" || s1 != s2 {
		t.Errorf("Sign(python, stopped threads) = %q (%s), %q (%s); want one signature from threads", s1, from1, s2, from2)
	}
	if s, from := Sign(nil, a, n1, stopped); from != "native" || s != sigOnly(Sign(nil, nil, n1, nil)) {
		t.Errorf("Sign(python, native, stopped) = %q from %q; want the native signature", s, from)
	}
	if s, from := Sign(nil, a, nil, append(stopped, Thread{TID: 3, State: "S"})); from != "python" || s != sa {
		t.Errorf("Sign(python, one thread not stopped) = %q from %q; want python's", s, from)
	}
	// Read from memory while held still, before any signal: the Python
	// frames sign it, stopped or not, and before faulthandler's.
	if s, from := Sign(a, c, n1, stopped); from != "python" || s != sa {
		t.Errorf("Sign(memory, faulthandler, native, stopped) = %q from %q; want memory's python signature %q", s, from, sa)
	}
	if s, _ := Sign(c, a, nil, th); s == sa {
		t.Error("Sign(memory c, faulthandler a) signed faulthandler's frames, not memory's")
	}
	if s, from := Sign(nil, nil, nil, nil); s != "" || from != "" {
		t.Errorf("Sign(nothing) = %q, %q; want empty", s, from)
	}
}
