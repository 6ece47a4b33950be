package stacks

import (
	"os"
	"strings"
	"testing"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testdata/{eu-stack,gdb,maps}.txt are elfutils' eu-stack and gdb 13 on
// the deadlocked stand-in (pktest.BuildDeadlocked's source, with other
// function names), and its /proc/PID/maps.
func TestParseEuStackReal(t *testing.T) {
	threads := ParseEuStack(readTestdata(t, "eu-stack.txt"), ParseMaps(readTestdata(t, "maps.txt")))
	if len(threads) != 2 || threads[0].TID != 3516 || threads[1].TID != 3518 {
		t.Fatalf("ParseEuStack = %+v, want threads 3516 and 3518", threads)
	}
	want := NativeFrame{Module: "pagekitec", Offset: "0x11b2", Symbol: "lock_ab"}
	if got := threads[0].Frames[2]; got != want {
		t.Errorf("frame 2 = %+v, want %+v", got, want)
	}
	if got := threads[0].Frames[0]; got.Module != "libc.so.6" || got.Symbol != "__GI___lll_lock_wait" {
		t.Errorf("frame 0 = %+v, want __GI___lll_lock_wait in libc.so.6", got)
	}
}

func TestParseGDBReal(t *testing.T) {
	raw := readTestdata(t, "gdb.txt")
	threads := ParseGDB(raw, ParseMaps(readTestdata(t, "maps.txt")))
	if len(threads) != 2 || threads[0].TID != 3518 || threads[1].TID != 3516 {
		t.Fatalf("ParseGDB = %+v, want threads 3518 and 3516", threads)
	}
	var syms []string
	for _, f := range threads[1].Frames {
		syms = append(syms, f.Symbol)
	}
	if got, want := strings.Join(syms, " "), "futex_wait __GI___lll_lock_wait lll_mutex_lock_optimized ___pthread_mutex_lock lock_ab main"; got != want {
		t.Errorf("thread 3516 symbols = %q, want %q", got, want)
	}
	if f := threads[1].Frames[4]; f.Module != "pagekitec" || f.Offset != "0x11b2" {
		t.Errorf("lock_ab frame = %+v, want pagekitec+0x11b2", f)
	}
}

// systemd-coredump's message, as systemd 252's elf-util.c prints it
// (format "#%-2u 0x%016" PRIx64 " %s (%s + 0x%" PRIx64 ")").
const coredumpMessage = `Process 3516 (pagekitec) of user 0 dumped core.

Module libc.so.6 from deb glibc-2.36-9+deb12u10.amd64
Stack trace of thread 3516:
#0  0x00007f6b34e6e12b __lll_lock_wait (libc.so.6 + 0x8a12b)
#1  0x00007f6b34e74482 __pthread_mutex_lock (libc.so.6 + 0x90482)
#2  0x00005584326921b2 lock_ab (pagekitec + 0x11b2)
#3  0x0000558432692281 main (pagekitec + 0x1281)
#4  0x00007f2a3c5a1f1d n/a (n/a + 0x0)

Stack trace of thread 3518:
#0  0x00007f6b34e6e12b __lll_lock_wait (libc.so.6 + 0x8a12b)
#1  0x00005584326921fa lock_ba (/usr/sbin/pagekitec + 0x11fa)
ELF object binary architecture: AMD x86-64
`

func TestParseCoredump(t *testing.T) {
	threads := ParseCoredump([]byte(coredumpMessage))
	if len(threads) != 2 || len(threads[0].Frames) != 4 || len(threads[1].Frames) != 2 {
		t.Fatalf("ParseCoredump = %+v, want 4 and 2 frames (n/a dropped)", threads)
	}
	if f := threads[1].Frames[1]; f != (NativeFrame{Module: "pagekitec", Offset: "0x11fa", Symbol: "lock_ba"}) {
		t.Errorf("frame = %+v", f)
	}
}

func TestNativeParsersKeepNoValues(t *testing.T) {
	// gdb with frame arguments on would print values; the parser keeps
	// the name alone.
	out := []byte("Thread 1 (Thread 0x7f (LWP 42) \"pagekitec\"):\n" +
		"#0  0x00005584326921b2 in pk_lock(secret=0x55 \"ARGSECRET\") at x.c:6\n" +
		"#1  main (argc=1, argv=0x7ffd) at x.c:9\n" +
		"#2  0x00007f in ?? ()\n")
	threads := ParseGDB(out, nil)
	if len(threads) != 1 || len(threads[0].Frames) != 2 {
		t.Fatalf("ParseGDB = %+v, want 2 frames (?? dropped)", threads)
	}
	for _, f := range threads[0].Frames {
		if strings.ContainsAny(f.Symbol, "(= \"") {
			t.Errorf("symbol %q holds more than a name", f.Symbol)
		}
	}
}

func FuzzNativeParsers(f *testing.F) {
	f.Add(string(readTestdata(f, "gdb.txt")))
	f.Add(string(readTestdata(f, "eu-stack.txt")))
	f.Add(coredumpMessage)
	f.Fuzz(func(t *testing.T, s string) {
		for _, threads := range [][]NativeThread{ParseGDB([]byte(s), nil), ParseEuStack([]byte(s), nil), ParseCoredump([]byte(s))} {
			if len(threads) > MaxThreads {
				t.Fatalf("%d threads", len(threads))
			}
			for _, th := range threads {
				if len(th.Frames) > MaxFrames {
					t.Fatalf("%d frames", len(th.Frames))
				}
				for _, fr := range th.Frames {
					if strings.ContainsAny(fr.Symbol, " ()=\"'") || len(fr.Symbol) > maxName {
						t.Fatalf("symbol %q", fr.Symbol)
					}
				}
			}
		}
	})
}
