package status

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestWriteReadRoundTrip(t *testing.T) {
	for _, kites := range [][]Kite{
		nil,
		{{Name: "a.kite.test", State: "healthy", Verdict: "flying"}},
		{{Name: "a.kite.test", State: "grace", Count: 3, Detail: `relay said "down", \ and more`},
			{Name: "b.kite.test", State: "cooldown", Note: "restart budget spent"}},
	} {
		path := filepath.Join(t.TempDir(), "status.json")
		want := &File{Updated: "2026-11-29T12:00:00Z", PID: 42, Version: "test", DryRun: true, ConfigError: "x:1:2: bad", Kites: kites}
		if err := Write(path, want, encodeAll(want.Kites)); err != nil {
			t.Fatalf("Write() = %v", err)
		}
		got, err := Read(path)
		if err != nil {
			t.Fatalf("Read() = %v", err)
		}
		if len(want.Kites) == 0 {
			want.Kites = []Kite{} // an empty array, never null
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Read(Write(f, its kites)) = %+v, want %+v", got, want)
		}
	}
}

func TestWriteOneKitePerLine(t *testing.T) {
	f := &File{PID: 1, Kites: []Kite{{Name: "a.kite.test", State: "healthy"}, {Name: "b.kite.test", State: "grace"}}}
	path := filepath.Join(t.TempDir(), "status.json")
	if err := Write(path, f, encodeAll(f.Kites)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("Write gave %d lines, want 4 (head, 2 kites, end):\n%s", len(lines), data)
	}
	for i, name := range []string{"a.kite.test", "b.kite.test"} {
		if !strings.Contains(lines[i+1], `"name":"`+name+`"`) {
			t.Errorf("line %d = %s, want kite %s", i+2, lines[i+1], name)
		}
	}
	if !bytes.HasSuffix(data, []byte("]}\n")) {
		t.Errorf("the file ends %q, want ]}\\n", data[len(data)-5:])
	}
}

// encodeAll is every kite's line, in order.
func encodeAll(kites []Kite) [][]byte {
	lines := make([][]byte, len(kites))
	for i := range kites {
		lines[i] = EncodeKite(&kites[i])
	}
	return lines
}
