package pymem

import (
	"strings"
	"testing"
	"time"
)

// TestWalkFake: a well-formed image is read as built.
func TestWalkFake(t *testing.T) {
	f := newFake(1 << 16)
	inner := f.frame(f.code("/usr/lib/python3/dist-packages/pagekite/pk.py", "Epoll", 3960), 0)
	outer := f.frame(f.code("/home/alice/pk.py", "Loop", 4020), 0)
	f.put64(inner, f.l.FramePrevious, outer)
	rt := f.runtime(f.thread(0x7f0000001234, inner, 0))
	ts, note, err, _ := f.walk(rt, MaxBytes)
	if err != nil || note != "" || len(ts) != 1 {
		t.Fatalf("walk = %d threads, %q, %v; want 1 thread", len(ts), note, err)
	}
	got := ts[0]
	if got.ID != "0x00007f0000001234" || got.NativeID != 0x1234 || len(got.Frames) != 2 {
		t.Fatalf("thread = %+v", got)
	}
	if fr := got.Frames[0]; fr.File != "/usr/lib/python3/dist-packages/pagekite/pk.py" || fr.Function != "Epoll" || fr.Line != 3961 {
		t.Errorf("frame 0 = %+v, want pk.py Epoll 3961", fr)
	}
	if fr := got.Frames[1]; fr.File != "pk.py" || fr.Function != "Loop" {
		t.Errorf("frame 1 = %+v, want pk.py (no home path) Loop", fr)
	}
}

// TestWalkHostile: broken, cyclic, endless and oversized chains end the
// walk with a reason, within the bounds, never a panic or a hang.
func TestWalkHostile(t *testing.T) {
	tests := []struct {
		name string
		// build makes the image and returns _PyRuntime.
		build func(f *fake) uint64
		// want is in the error, the walk's note or a thread's note.
		want     string
		threads  int
		maxBytes int
	}{
		{"runtime into garbage", func(f *fake) uint64 {
			rt := f.alloc(64)
			f.put64(rt, f.l.RuntimeInterpretersHead, 0xdeadbeef0000)
			return rt
		}, "outside the process's readable memory", 0, 0},
		{"no interpreter", func(f *fake) uint64 { return f.alloc(64) }, "no interpreter", 0, 0},
		{"thread list loops", func(f *fake) uint64 {
			ts := f.thread(1, 0, 0)
			f.put64(ts, f.l.TstateNext, ts)
			return f.runtime(ts)
		}, "the thread list loops", 1, 0},
		{"thread list never ends", func(f *fake) uint64 {
			var next uint64
			for i := 0; i < 2*MaxThreads; i++ {
				next = f.thread(uint64(i+1), 0, next)
			}
			return f.runtime(next)
		}, "more than 256 threads", MaxThreads, 0},
		{"frame chain loops", func(f *fake) uint64 {
			a := f.frame(f.code("a.py", "a", 1), 0)
			b := f.frame(f.code("b.py", "b", 1), a)
			f.put64(a, f.l.FramePrevious, b)
			return f.runtime(f.thread(1, a, 0))
		}, "the frame chain loops", 1, 0},
		{"frame chain runs on", func(f *fake) uint64 {
			c := f.code("deep.py", "deep", 1)
			var prev uint64
			for i := 0; i < maxFrameWalk+10; i++ {
				prev = f.frame(c, prev)
			}
			return f.runtime(f.thread(1, prev, 0))
		}, "more than 4096 frames", 1, 0},
		{"frame into garbage", func(f *fake) uint64 {
			return f.runtime(f.thread(1, 0x10, 0))
		}, "frame unreadable", 1, 0},
		{"code object not a str", func(f *fake) uint64 {
			c := f.code("x.py", "x", 1)
			f.put64(c, f.l.CodeName, c) // the code object itself
			return f.runtime(f.thread(1, f.frame(c, 0), 0))
		}, "code object unreadable", 1, 0},
		{"1 GB filename", func(f *fake) uint64 {
			c := f.code("x.py", "x", 1)
			f.put64(c, f.l.CodeFilename, f.str(strings.Repeat("a", maxString+8), 1<<30))
			return f.runtime(f.thread(1, f.frame(c, 0), 0))
		}, "", 1, 8 << 10},
		{"budget spent", func(f *fake) uint64 {
			var next uint64
			for i := 0; i < 200; i++ {
				c := f.code("f.py", "f", i)
				next = f.thread(uint64(i+1), f.frame(c, 0), next)
			}
			return f.runtime(next)
		}, "read budget spent", -1, 20 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(4 << 20)
			rt := tt.build(f)
			budget := MaxBytes
			if tt.maxBytes > 0 {
				budget = tt.maxBytes
			}
			start := time.Now()
			ts, note, err, r := f.walk(rt, budget)
			if d := time.Since(start); d > Timeout {
				t.Errorf("walk took %v", d)
			}
			if r.read > budget {
				t.Errorf("walk read %d bytes, budget %d", r.read, budget)
			}
			all := note
			if err != nil {
				all += err.Error()
			}
			for _, th := range ts {
				all += " " + th.Note
			}
			if !strings.Contains(all, tt.want) {
				t.Errorf("walk = %d threads, note %q, err %v; want %q", len(ts), note, err, tt.want)
			}
			if tt.threads >= 0 && len(ts) != tt.threads {
				t.Errorf("walk = %d threads, want %d", len(ts), tt.threads)
			}
			for _, th := range ts {
				if len(th.Frames) > MaxFrames {
					t.Errorf("thread kept %d frames, at most %d", len(th.Frames), MaxFrames)
				}
				for _, fr := range th.Frames {
					if n := len([]rune(fr.File)); n > maxString+1 {
						t.Errorf("file of %d characters kept, at most %d", n, maxString)
					}
				}
			}
		})
	}
}

// FuzzWalk: whatever the memory holds, the walk ends within its bounds,
// without a panic. The seeds are a well-formed image and broken ones;
// the fuzzer mutates their bytes and where _PyRuntime is.
func FuzzWalk(f *testing.F) {
	good := newFake(2048)
	inner := good.frame(good.code("pk.py", "Epoll", 10), 0)
	rt := good.runtime(good.thread(0x1234, good.frame(good.code("pk.py", "Loop", 20), inner), 0))
	f.Add(good.mem, uint32(rt-good.base))
	f.Add(make([]byte, 256), uint32(0))
	f.Fuzz(func(t *testing.T, mem []byte, at uint32) {
		if len(mem) > 1<<16 {
			return
		}
		img := newFake(0)
		img.mem = mem
		const budget = 64 << 10
		ts, _, _, r := img.walk(img.base+uint64(at), budget)
		if r.read > budget {
			t.Fatalf("read %d bytes, budget %d", r.read, budget)
		}
		if len(ts) > MaxThreads {
			t.Fatalf("%d threads", len(ts))
		}
		for _, th := range ts {
			if len(th.Frames) > MaxFrames {
				t.Fatalf("%d frames", len(th.Frames))
			}
		}
	})
}
