package stacks

import "testing"

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
	sa, from := Sign(a, nil, nil)
	sb, _ := Sign(b, nil, nil)
	if sa == "" || from != "python" || sa != sb {
		t.Errorf("Sign(a) = %q (%s), Sign(b) = %q; want one python signature", sa, from, sb)
	}
	c := []PyThread{{ID: "0x1", Frames: []PyFrame{{"pk.py", 1, "Select"}}}}
	if sc, _ := Sign(c, nil, nil); sc == sa {
		t.Error("another wedge has the same signature")
	}
	n1 := []NativeThread{{TID: 5, Frames: []NativeFrame{{Module: "libc.so.6", Offset: "0x1", Symbol: "__pthread_mutex_lock@GLIBC_2.2.5"}, {Symbol: "lock_ab"}}}}
	n2 := []NativeThread{{TID: 7, Frames: []NativeFrame{{Module: "libc.so.6", Offset: "0x2", Symbol: "__pthread_mutex_lock"}, {Symbol: "lock_ab"}}}}
	s1, from := Sign(nil, n1, nil)
	s2, _ := Sign(nil, n2, nil)
	if s1 == "" || from != "native" || s1 != s2 {
		t.Errorf("native signatures %q, %q (%s); want equal, from native", s1, s2, from)
	}
	th := []Thread{{TID: 1, State: "S", Syscall: "futex", Wchan: "futex_do_wait"}, {TID: 2, State: "S", Syscall: "futex", Wchan: "futex_do_wait"}}
	if s, from := Sign(nil, nil, th); s == "" || from != "threads" {
		t.Errorf("Sign(threads) = %q, %q", s, from)
	}
	if s, from := Sign(nil, nil, nil); s != "" || from != "" {
		t.Errorf("Sign(nothing) = %q, %q; want empty", s, from)
	}
}
