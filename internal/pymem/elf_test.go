package pymem

import (
	"regexp"
	"strconv"
	"testing"
)

// TestFindVersion finds PY_VERSION in .rodata's bytes as the whole-section
// regexp it replaces did (oldVersion), and the cases by name.
func TestFindVersion(t *testing.T) {
	cases := []struct {
		name  string
		b     string
		minor int
		want  string
	}{
		{"own string", "abc\x003.10.13\x00def", 10, "3.10.13"},
		{"merged tail", "Python-3.10.13\x00", 10, "3.10.13"},
		{"after a slash", "lib/3.9.18\x00", 9, "3.9.18"},
		{"release candidate", "\x003.11.0rc1\x00", 11, "3.11.0rc1"},
		{"alpha, local build", "\x003.12.0a7+\x00", 12, "3.12.0a7+"},
		{"no NUL before", "x3.10.13\x00", 10, ""},
		{"at the start", "3.10.13\x00", 10, ""},
		{"no NUL after", "\x003.10.13", 10, ""},
		{"text after", "\x003.10.13 (main)\x00", 10, ""},
		{"four digits", "\x003.10.1234\x00", 10, ""},
		{"other minor", "\x003.11.2\x00", 10, ""},
		{"3.1 is not 3.10", "\x003.1.5\x00\x003.10.4\x00", 10, "3.10.4"},
		{"first that fits", "%s 3.10.x\x00-3.10.\x00\x003.10.7\x00\x003.10.8\x00", 10, "3.10.7"},
		{"empty", "", 9, ""},
		{"prefix at the end", "\x003.9.", 9, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := findVersion([]byte(c.b), c.minor); got != c.want {
				t.Errorf("findVersion(%q, %d) = %q, want %q", c.b, c.minor, got, c.want)
			}
			if old := oldVersion([]byte(c.b), c.minor); old != c.want {
				t.Errorf("the regexp says %q for %q, the case %q", old, c.b, c.want)
			}
		})
	}
}

// oldVersion is the regexp over the whole section that findVersion
// replaced: the specification it must keep.
func oldVersion(b []byte, minor int) string {
	re := regexp.MustCompile(`[\x00/-](3\.` + strconv.Itoa(minor) + `\.\d{1,3}(?:(?:a|b|rc)\d{1,2})?\+?)\x00`)
	if m := re.FindSubmatch(b); m != nil {
		return string(m[1])
	}
	return ""
}
