package redact

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// view is a line decoded (percent, HTML, backslash escapes), with, for
// each byte of its text, the span of the original line it came from: a
// match in the decoded text is redacted in the original.
type view struct {
	s      string
	lo, hi []int32 // s[i] came from line[lo[i]:hi[i]]
	// rules: the credential rules run on this form too. They cost far
	// more than looking for the known secrets, so they run on each
	// decoding alone and on the line decoded as far as it goes, not on
	// every chain.
	rules bool
}

// newView is line as it is.
func newView(line string) view {
	v := view{s: line, lo: make([]int32, len(line)), hi: make([]int32, len(line))}
	for i := range line {
		v.lo[i], v.hi[i] = int32(i), int32(i+1)
	}
	return v
}

// decoder decodes the escape that starts at s[i], if one does: it returns
// the bytes it stands for and its length, or n == 0.
type decoder func(s string, i int) (out string, n int)

// decode returns v with every escape dec knows decoded, and whether any
// was.
func (v view) decode(trigger byte, dec decoder) (view, bool) {
	if strings.IndexByte(v.s, trigger) < 0 {
		return v, false
	}
	var b strings.Builder
	b.Grow(len(v.s))
	w := view{lo: make([]int32, 0, len(v.s)), hi: make([]int32, 0, len(v.s))}
	changed := false
	for i := 0; i < len(v.s); {
		if v.s[i] == trigger {
			if out, n := dec(v.s, i); n > 0 {
				b.WriteString(out)
				for range len(out) {
					w.lo = append(w.lo, v.lo[i])
					w.hi = append(w.hi, v.hi[i+n-1])
				}
				i += n
				changed = true
				continue
			}
		}
		b.WriteByte(v.s[i])
		w.lo = append(w.lo, v.lo[i])
		w.hi = append(w.hi, v.hi[i])
		i++
	}
	w.s = b.String()
	return w, changed
}

// span is the original line's part [lo, hi) that v.s[from:to] came from.
func (v view) span(from, to int) (int, int) {
	return int(v.lo[from]), int(v.hi[to-1])
}

// decodeDepth bounds how many decodings are chained: a secret
// percent-encoded three times, or HTML-escaped after JSON escaping after
// percent-encoding, is still found.
const decodeDepth = 3

// maxViews bounds the decoded forms of one line.
const maxViews = 40

// decoders are the decodings views chains, each with the byte that starts
// its escapes.
var decoders = [...]struct {
	trigger byte
	dec     decoder
}{{'%', decodePercent}, {'&', decodeEntity}, {'\\', decodeBackslash}}

// views returns the decoded forms of line: every decoding alone (percent,
// HTML, backslash escapes) and every chain of up to decodeDepth of them,
// in any order, each form once; none when line has nothing to decode.
// Every order counts: decoding a percent sign that a backslash escapes
// (\%41) first would hide what the backslash decoding shows.
func views(line string) []view {
	if !strings.ContainsAny(line, `%&\`) {
		return nil
	}
	var out []view
	seen := map[string]int{line: -1} // index in out
	level := []view{newView(line)}
	for depth := range decodeDepth {
		var next []view
		for _, v := range level {
			for _, d := range decoders {
				w, ok := v.decode(d.trigger, d.dec)
				if !ok || len(out) >= maxViews {
					continue
				}
				if _, dup := seen[w.s]; dup {
					continue
				}
				w.rules = depth == 0
				seen[w.s] = len(out)
				out = append(out, w)
				next = append(next, w)
			}
		}
		level = next
	}
	// The line decoded as far as it goes, in one order.
	full, changed := newView(line), false
	for range decodeDepth {
		again := false
		for _, d := range decoders {
			if w, ok := full.decode(d.trigger, d.dec); ok {
				full, changed, again = w, true, true
			}
		}
		if !again {
			break
		}
	}
	if changed {
		if i, ok := seen[full.s]; ok && i >= 0 {
			out[i].rules = true
		} else if !ok {
			full.rules = true
			out = append(out, full)
		}
	}
	return out
}

// decodePercent decodes %XX and %uXXXX.
func decodePercent(s string, i int) (string, int) {
	if i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
		return string([]byte{unhex(s[i+1])<<4 | unhex(s[i+2])}), 3
	}
	if i+5 < len(s) && (s[i+1] == 'u' || s[i+1] == 'U') {
		if r, err := strconv.ParseUint(s[i+2:i+6], 16, 32); err == nil {
			return string(rune(r)), 6
		}
	}
	return "", 0
}

// decodeEntity decodes &#NNN;, &#xHH; and the named entities of entities.
func decodeEntity(s string, i int) (string, int) {
	end := strings.IndexByte(s[i:min(len(s), i+12)], ';')
	if end < 2 {
		return "", 0
	}
	name := s[i+1 : i+end]
	if name[0] == '#' {
		var r uint64
		var err error
		if len(name) > 1 && (name[1] == 'x' || name[1] == 'X') {
			r, err = strconv.ParseUint(name[2:], 16, 32)
		} else {
			r, err = strconv.ParseUint(name[1:], 10, 32)
		}
		if err != nil || r > utf8.MaxRune {
			return "", 0
		}
		return string(rune(r)), end + 1
	}
	if e, ok := entities[name]; ok {
		return e, end + 1
	}
	if e, ok := entities[strings.ToLower(name)]; ok {
		return e, end + 1
	}
	return "", 0
}

// entities are HTML's names for ASCII punctuation and the space (all of
// them, so that a secret written with any mix of named entities and
// literal characters is found), lower case.
var entities = map[string]string{
	"excl": "!", "quot": `"`, "num": "#", "dollar": "$", "percnt": "%", "amp": "&", "apos": "'",
	"lpar": "(", "rpar": ")", "ast": "*", "midast": "*", "plus": "+", "comma": ",", "period": ".",
	"sol": "/", "colon": ":", "semi": ";", "lt": "<", "equals": "=", "gt": ">", "quest": "?",
	"commat": "@", "lsqb": "[", "lbrack": "[", "bsol": `\`, "rsqb": "]", "rbrack": "]", "hat": "^",
	"lowbar": "_", "underbar": "_", "grave": "`", "diacriticalgrave": "`", "lcub": "{", "lbrace": "{",
	"verbar": "|", "vert": "|", "verticalline": "|", "rcub": "}", "rbrace": "}", "tilde": "~",
	"nbsp": " ", "newline": "\n", "tab": "\t",
}

// decodeBackslash decodes JSON, Python, C and shell escapes: \uXXXX
// (and surrogate pairs), \UXXXXXXXX, \u{X...}, \xHH, octal \NNN, \n \r
// \t, and a backslash before any other punctuation or a space (\/ \" \\).
func decodeBackslash(s string, i int) (string, int) {
	if i+1 >= len(s) {
		return "", 0
	}
	c := s[i+1]
	switch {
	case c == 'u' && i+2 < len(s) && s[i+2] == '{':
		end := strings.IndexByte(s[i:min(len(s), i+12)], '}')
		if end > 3 {
			if r, err := strconv.ParseUint(s[i+3:i+end], 16, 32); err == nil && r <= utf8.MaxRune {
				return string(rune(r)), end + 1
			}
		}
	case c == 'u' && i+5 < len(s):
		r, err := strconv.ParseUint(s[i+2:i+6], 16, 32)
		if err != nil {
			return "", 0
		}
		if r >= 0xd800 && r < 0xdc00 && i+11 < len(s) && s[i+6] == '\\' && s[i+7] == 'u' {
			if lo, err := strconv.ParseUint(s[i+8:i+12], 16, 32); err == nil && lo >= 0xdc00 && lo < 0xe000 {
				return string(rune(0x10000 + (r-0xd800)<<10 + (lo - 0xdc00))), 12
			}
		}
		return string(rune(r)), 6
	case c == 'U' && i+9 < len(s):
		if r, err := strconv.ParseUint(s[i+2:i+10], 16, 32); err == nil && r <= utf8.MaxRune {
			return string(rune(r)), 10
		}
	case c == 'x' && i+3 < len(s) && isHex(s[i+2]) && isHex(s[i+3]):
		return string([]byte{unhex(s[i+2])<<4 | unhex(s[i+3])}), 4
	case c >= '0' && c <= '7':
		n, v := 1, 0
		for n <= 3 && i+n < len(s) && s[i+n] >= '0' && s[i+n] <= '7' {
			v = v*8 + int(s[i+n]-'0')
			n++
		}
		if v < 256 {
			return string([]byte{byte(v)}), n
		}
	case c == 'n':
		return "\n", 2
	case c == 'r':
		return "\r", 2
	case c == 't':
		return "\t", 2
	case c == ' ' || c < 0x80 && isPunct(c):
		return string([]byte{c}), 2
	}
	return "", 0
}

func isPunct(c byte) bool {
	return c > ' ' && c < 0x7f && !isWord(c)
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
