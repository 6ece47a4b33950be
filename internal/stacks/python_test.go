package stacks

import (
	"os"
	"strings"
	"testing"
)

// testdata/faulthandler.txt is what Debian's pagekite 1.5.2 (python3.11)
// wrote to its --logfile on SIGSEGV with PYTHONFAULTHANDLER=1.
func TestParsePythonReal(t *testing.T) {
	b, err := os.ReadFile("testdata/faulthandler.txt")
	if err != nil {
		t.Fatal(err)
	}
	threads := ParsePython(strings.Split(string(b), "\n"))
	if len(threads) != 5 {
		t.Fatalf("ParsePython(real dump) = %d threads, want 5: %+v", len(threads), threads)
	}
	cur := threads[4]
	if !cur.Current || cur.ID != "0x00007f78aa6102c0" || len(cur.Frames) != 5 {
		t.Errorf("current thread = %+v, want 0x00007f78aa6102c0 with 5 frames", cur)
	}
	want := PyFrame{File: "/usr/lib/python3/dist-packages/pagekite/pk.py", Line: 3967, Function: "Epoll"}
	if cur.Frames[0] != want {
		t.Errorf("innermost frame = %+v, want %+v", cur.Frames[0], want)
	}
	for _, th := range threads[:4] {
		if th.Current || len(th.Frames) == 0 {
			t.Errorf("thread %+v: want not current, with frames", th)
		}
	}
}

func TestParsePythonShapes(t *testing.T) {
	journal := []string{
		"2026-12-02T20:24:56+0000 host pagekite[123]: Fatal Python error: Segmentation fault",
		"2026-12-02T20:24:56+0000 host pagekite[123]: ",
		"2026-12-02T20:24:56+0000 host pagekite[123]: Current thread 0x00007F78AA6102C0 (most recent call first):",
		`2026-12-02T20:24:56+0000 host pagekite[123]:   File "/home/alice/src/pagekite/pk.py", line 10 in Loop`,
		`2026-12-02T20:24:56+0000 host pagekite[123]:   File "/usr/bin/pagekite", line 39 in <module>`,
	}
	got := ParsePython(journal)
	if len(got) != 1 || got[0].ID != "0x00007f78aa6102c0" || len(got[0].Frames) != 2 {
		t.Fatalf("ParsePython(journal) = %+v, want one thread with 2 frames", got)
	}
	if f := got[0].Frames[0]; f.File != "pk.py" || f.Function != "Loop" || f.Line != 10 {
		t.Errorf("frame under a home = %+v, want file pk.py (base name only), Loop, 10", f)
	}

	// A PageKite log line quoting a remote request is no frame.
	forged := []string{
		"ts=6b1; t=2026; ll=1; GET=/Thread 0x1 (most recent call first):",
		`ts=6b1; GET=/x;   File "/etc/shadow", line 1 in root`,
		`x=y: Thread 0x2 (most recent call first):`,
		`  File "/etc/passwd", line 1 in orphan`,
	}
	if got := ParsePython(forged); len(got) != 0 {
		t.Errorf("ParsePython(forged) = %+v, want nothing", got)
	}

	// Two dumps: the last one counts.
	two := []string{
		"Fatal Python error: Segmentation fault", "Thread 0x1 (most recent call first):", `  File "a.py", line 1 in old`,
		"Fatal Python error: Segmentation fault", "Thread 0x2 (most recent call first):", `  File "b.py", line 2 in new`,
	}
	if got := ParsePython(two); len(got) != 1 || got[0].Frames[0].Function != "new" {
		t.Errorf("ParsePython(two dumps) = %+v, want the last one's thread", got)
	}
}

func TestParsePythonBounds(t *testing.T) {
	var l []string
	for i := 0; i < 2*MaxThreads; i++ {
		l = append(l, "Thread 0x1 (most recent call first):")
		for j := 0; j < 2*MaxFrames; j++ {
			l = append(l, `  File "a.py", line 1 in f`)
		}
	}
	l = append(l, "Thread 0x1 (most recent call first):", `  File "`+strings.Repeat("x", 10*maxLine)+`", line 1 in f`)
	got := ParsePython(l)
	if len(got) != MaxThreads {
		t.Errorf("threads = %d, want MaxThreads %d", len(got), MaxThreads)
	}
	for _, th := range got {
		if len(th.Frames) > MaxFrames {
			t.Fatalf("frames = %d, want at most %d", len(th.Frames), MaxFrames)
		}
	}
}

func FuzzParsePython(f *testing.F) {
	b, _ := os.ReadFile("testdata/faulthandler.txt")
	f.Add(string(b))
	f.Add("Current thread 0x1 (most recent call first):\n  File \"x\", line 9 in y\n")
	f.Fuzz(func(t *testing.T, s string) {
		for _, th := range ParsePython(strings.Split(s, "\n")) {
			if len(th.Frames) > MaxFrames {
				t.Fatalf("%d frames", len(th.Frames))
			}
			for _, fr := range th.Frames {
				if len(fr.Function) > maxName || strings.ContainsAny(fr.Function, " \n") {
					t.Fatalf("function %q", fr.Function)
				}
				if strings.HasPrefix(fr.File, "/home/") || strings.HasPrefix(fr.File, "/root/") {
					t.Fatalf("home path kept: %q", fr.File)
				}
			}
		}
	})
}

func TestFaulthandlerOf(t *testing.T) {
	py := []string{"/usr/bin/python3", "/usr/bin/pagekite", "--clean"}
	tests := []struct {
		name    string
		argv    []string
		environ []string
		on      bool
	}{
		{"env", py, []string{"PATH=/bin", "PYTHONFAULTHANDLER=1"}, true},
		{"env empty", py, []string{"PYTHONFAULTHANDLER="}, false},
		{"unset", py, []string{"PATH=/bin"}, false},
		{"-X", []string{"python3", "-X", "faulthandler", "/usr/bin/pagekite"}, nil, true},
		{"-Xfaulthandler", []string{"python3", "-Xfaulthandler", "/usr/bin/pagekite"}, nil, true},
		{"-X after the script is PageKite's", []string{"python3", "/usr/bin/pagekite", "-X", "faulthandler"}, nil, false},
		{"-E ignores env", []string{"python3", "-E", "/usr/bin/pagekite"}, []string{"PYTHONFAULTHANDLER=1"}, false},
		{"-I ignores env", []string{"python3", "-sI", "/usr/bin/pagekite"}, []string{"PYTHONFAULTHANDLER=1"}, false},
		{"-W then -X", []string{"python3", "-W", "ignore", "-X", "faulthandler", "/usr/bin/pagekite"}, nil, true},
		{"pagekitec", []string{"/usr/bin/pagekitec", "-X", "faulthandler"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := faulthandlerOf(tt.argv, tt.environ)
			if got.On != tt.on || got.Why == "" {
				t.Errorf("faulthandlerOf(%q, %q) = %+v, want on %v with a reason", tt.argv, tt.environ, got, tt.on)
			}
		})
	}
}
