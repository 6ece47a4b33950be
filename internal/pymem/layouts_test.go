package pymem

import (
	"encoding/binary"
	"reflect"
	"strings"
	"testing"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

// TestLayoutsMatchHeaders compiles testdata/offsets/offsets.c against every
// CPython 3.9 to 3.13 header set installed (pyenv's, Debian's
// libpython3.X-dev) for each ABI, reads the offsets from the object file and
// checks layoutFor's table field by field: a field the headers give must
// match, one they do not give must be -1.
func TestLayoutsMatchHeaders(t *testing.T) {
	sets := findHeaderSets(t)
	if len(sets) == 0 {
		pktest.Unavailable(t, "CPython 3.9-3.13 headers with internal/",
			"apt-get install -y libpython3-dev (Debian 12: 3.11), or pyenv install 3.9 ... 3.13")
	}
	for _, c := range abiCompilers {
		t.Run(c.name, func(t *testing.T) {
			if err := c.usable(t); err != nil {
				pktest.Unavailable(t, c.name+" C compiler ("+strings.Join(c.cc, " ")+")",
					"apt-get install -y "+c.pkg+" ("+err.Error()+")")
			}
			for _, hs := range sets {
				t.Run(hs.name, func(t *testing.T) {
					got := compileOffsets(t, c, hs)
					want, ok := layoutFor(hs.minor, c.abi)
					if !ok {
						t.Fatalf("layoutFor(%d, %v) = _, false, want a table", hs.minor, c.abi)
					}
					checkLayout(t, c.abi, want, got)
				})
			}
		})
	}
}

// checkLayout compares every int64 field of l with the header's value of
// that name, or -1 where the header has none.
func checkLayout(t *testing.T, abi ABI, l Layout, header map[string]int64) {
	t.Helper()
	v := reflect.ValueOf(l)
	seen := map[string]bool{}
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if f.Type.Kind() != reflect.Int64 {
			continue
		}
		seen[f.Name] = true
		want, ok := header[f.Name]
		if !ok {
			want = -1
		}
		if got := v.Field(i).Int(); got != want {
			t.Errorf("layoutFor(%d, %v).%s = %d, headers say %d", l.Minor, abi, f.Name, got, want)
		}
	}
	for name := range header {
		if !seen[name] && !strings.HasPrefix(name, "Debug.") {
			t.Errorf("offsets.c gives %s, which Layout has no field for", name)
		}
	}
	wantLines := Locations
	switch l.Minor {
	case 9:
		wantLines = Lnotab
	case 10:
		wantLines = Linetable310
	}
	if l.Lines != wantLines {
		t.Errorf("layoutFor(%d, %v).Lines = %v, want %v", l.Minor, abi, l.Lines, wantLines)
	}
}

// debugFieldNames maps 3.13's _Py_DebugOffsets fields to the Layout fields
// they give the walker.
var debugFieldNames = map[string]string{
	"runtime_state.interpreters_head": "RuntimeInterpretersHead",
	"interpreter_state.threads_head":  "InterpThreadsHead",
	"thread_state.next":               "TstateNext",
	"thread_state.current_frame":      "TstateFrame",
	"thread_state.thread_id":          "TstateThreadID",
	"thread_state.native_thread_id":   "TstateNativeThreadID",
	"interpreter_frame.previous":      "FramePrevious",
	"interpreter_frame.executable":    "FrameCode",
	"interpreter_frame.instr_ptr":     "FrameInstr",
	"interpreter_frame.owner":         "FrameOwner",
	"code_object.filename":            "CodeFilename",
	"code_object.name":                "CodeName",
	"code_object.linetable":           "CodeLineTable",
	"code_object.firstlineno":         "CodeFirstLineno",
	"code_object.co_code_adaptive":    "CodeAdaptive",
	"bytes_object.ob_size":            "BytesSize",
	"bytes_object.ob_sval":            "BytesData",
	"unicode_object.state":            "UnicodeState",
	"unicode_object.length":           "UnicodeLength",
	"unicode_object.asciiobject_size": "UnicodeASCIIData",
}

// TestDebugOffsets313 reads the _Py_DebugOffsets that a real 3.13
// libpython carries at the start of its _PyRuntime (initialised data, as
// the walker reads it from the process) and checks it says what the 3.13
// table says. Only pyenv has a 3.13 here (Debian 12 has 3.11), so it skips
// without one even under CI.
func TestDebugOffsets313(t *testing.T) {
	lp64 := abiCompilers[0]
	var ran bool
	for _, hs := range findHeaderSets(t) {
		if hs.minor != 13 || hs.lib == "" {
			continue
		}
		ran = true
		t.Run(hs.name, func(t *testing.T) {
			header := compileOffsets(t, lp64, hs)
			f := openELF(t, hs.lib)
			rt := objSymbol(t, f, "_PyRuntime")
			if cookie := string(rt[:8]); cookie != "xdebugpy" {
				t.Fatalf("%s: _PyRuntime starts %q, want the debug cookie \"xdebugpy\"", hs.lib, cookie)
			}
			want, _ := layoutFor(13, LP64)
			v := reflect.ValueOf(want)
			pos := debugPositions(debugLayouts[13])
			for dbg, field := range debugFieldNames {
				off, ok := header["Debug."+dbg]
				if !ok {
					t.Errorf("offsets.c gives no Debug.%s", dbg)
					continue
				}
				if p, ok := pos[dbg]; !ok || p != off {
					t.Errorf("debugLayouts[13] puts %s at %d (known %v), the header at %d", dbg, p, ok, off)
				}
				got := int64(binary.LittleEndian.Uint64(rt[off:]))
				if w := v.FieldByName(field).Int(); got != w {
					t.Errorf("_Py_DebugOffsets.%s = %d, layoutFor(13, LP64).%s = %d", dbg, got, field, w)
				}
			}
		})
	}
	if !ran {
		t.Skip("SKIPPED: no CPython 3.13 (pyenv's, with libpython3.13.so) to read _Py_DebugOffsets from")
	}
}

func TestLayoutForUnknown(t *testing.T) {
	tests := []struct {
		minor int
		abi   ABI
	}{
		{8, LP64}, {14, LP64}, {7, I386}, {11, ABI(3)}, {11, ABI(-1)},
	}
	for _, tt := range tests {
		if _, ok := layoutFor(tt.minor, tt.abi); ok {
			t.Errorf("layoutFor(%d, %v) = _, true, want false", tt.minor, tt.abi)
		}
	}
}

// debugPositions is where d says each field of _Py_DebugOffsets sits, by
// the header's names.
func debugPositions(d debugFields) map[string]int64 {
	return map[string]int64{
		"runtime_state.interpreters_head": d.interpretersHead,
		"interpreter_state.threads_head":  d.threadsHead,
		"thread_state.next":               d.tstateNext,
		"thread_state.current_frame":      d.tstateCurrentFrame,
		"thread_state.thread_id":          d.tstateThreadID,
		"thread_state.native_thread_id":   d.tstateNativeThreadID,
		"interpreter_frame.previous":      d.framePrevious,
		"interpreter_frame.executable":    d.frameExecutable,
		"interpreter_frame.instr_ptr":     d.frameInstrPtr,
		"interpreter_frame.owner":         d.frameOwner,
		"code_object.filename":            d.codeFilename,
		"code_object.name":                d.codeName,
		"code_object.linetable":           d.codeLineTable,
		"code_object.firstlineno":         d.codeFirstLineno,
		"code_object.co_code_adaptive":    d.codeCodeAdaptive,
		"bytes_object.ob_size":            d.bytesSize,
		"bytes_object.ob_sval":            d.bytesData,
		"unicode_object.state":            d.unicodeState,
		"unicode_object.length":           d.unicodeLength,
		"unicode_object.asciiobject_size": d.unicodeASCIIObjectSize,
	}
}
