package redact

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"math/rand/v2"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// knownShape is a form a known secret takes in a report: written here
// with the standard library (or by hand), not with the redactor's code.
type knownShape struct {
	name string
	f    func(secret string) string
}

// namedEntities are HTML5's names for ASCII punctuation, for the shapes
// that mix named entities with literal characters.
var namedEntities = map[rune]string{
	'!': "&excl;", '"': "&quot;", '#': "&num;", '$': "&dollar;", '%': "&percnt;", '&': "&amp;",
	'\'': "&apos;", '(': "&lpar;", ')': "&rpar;", '*': "&ast;", '+': "&plus;", ',': "&comma;",
	'.': "&period;", '/': "&sol;", ':': "&colon;", ';': "&semi;", '<': "&lt;", '=': "&equals;",
	'>': "&gt;", '?': "&quest;", '@': "&commat;", '[': "&lsqb;", '\\': "&bsol;", ']': "&rsqb;",
	'^': "&Hat;", '_': "&lowbar;", '`': "&grave;", '{': "&lcub;", '|': "&verbar;", '}': "&rcub;", '~': "&tilde;",
}

// named is r as a named entity, or as it is when HTML has no name for it
// ('-').
func named(r rune) string {
	if e, ok := namedEntities[r]; ok {
		return e
	}
	return string(r)
}

// punct maps every ASCII punctuation character of s through f, leaving
// letters, digits and spaces as they are.
func punct(s string, f func(r rune) string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 && unicode.IsPunct(r) || r < 0x80 && unicode.IsSymbol(r) {
			b.WriteString(f(r))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// firstPunct maps the first punctuation character of s through f: a
// single escape inside otherwise plain text.
func firstPunct(s string, f func(r rune) string) string {
	for i, r := range s {
		if r < 0x80 && (unicode.IsPunct(r) || unicode.IsSymbol(r)) {
			return s[:i] + f(r) + s[i+1:]
		}
	}
	return s
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsUpper(r) {
			return unicode.ToLower(r)
		}
		return unicode.ToUpper(r)
	}, s)
}

// knownShapes are the shapes of #30 item 2 (and of the earlier rounds):
// each decoding alone and combined, case folded, escapes mixed with plain
// text.
var knownShapes = []knownShape{
	{"literal", func(s string) string { return s }},
	{"upper case", strings.ToUpper},
	{"lower case", strings.ToLower},
	{"swapped case", swapCase},
	{"html escaped", html.EscapeString},
	{"named entities mixed with literal", func(s string) string { return punct(s, named) }},
	{"one named entity", func(s string) string { return firstPunct(s, named) }},
	{"numeric entities mixed (&#47;)", func(s string) string {
		return punct(s, func(r rune) string { return "&#" + strconv.Itoa(int(r)) + ";" })
	}},
	{"hex entities mixed (&#x2F;)", func(s string) string { return punct(s, func(r rune) string { return fmt.Sprintf("&#x%X;", r) }) }},
	{"every char an entity", func(s string) string { return each(s, "&#%d;") }},
	{"one \\u002b escape", func(s string) string { return firstPunct(s, func(r rune) string { return fmt.Sprintf(`\u%04x`, r) }) }},
	{"one \\u002B escape", func(s string) string { return firstPunct(s, func(r rune) string { return fmt.Sprintf(`\u%04X`, r) }) }},
	{"one \\x2b escape", func(s string) string { return firstPunct(s, func(r rune) string { return fmt.Sprintf(`\x%02x`, r) }) }},
	{"one octal escape", func(s string) string { return firstPunct(s, func(r rune) string { return fmt.Sprintf(`\%03o`, r) }) }},
	{"json string", jsonString},
	{"go quoted", func(s string) string { q := strconv.Quote(s); return q[1 : len(q)-1] }},
	{"ascii quoted, every punct as \\u", func(s string) string { return punct(s, func(r rune) string { return fmt.Sprintf(`\u%04x`, r) }) }},
	{"backslash before punct (shell)", func(s string) string { return punct(s, func(r rune) string { return `\` + string(r) }) }},
	{"query escaped", url.QueryEscape},
	{"path escaped", url.PathEscape},
	{"one char percent-encoded", func(s string) string { return firstPunct(s, func(r rune) string { return fmt.Sprintf("%%%02X", r) }) }},
	{"every punct percent-encoded, lower hex", func(s string) string { return punct(s, func(r rune) string { return fmt.Sprintf("%%%02x", r) }) }},
	{"every byte percent-encoded", func(s string) string { return each(s, "%%%02X") }},
	{"percent twice", func(s string) string { return url.QueryEscape(url.QueryEscape(s)) }},
	{"percent three times", func(s string) string { return url.PathEscape(url.PathEscape(url.PathEscape(s))) }},
	{"percent in a query, upper case", func(s string) string { return strings.ToUpper(url.QueryEscape(s)) }},
	{"html of percent", func(s string) string { return html.EscapeString(strings.ReplaceAll(each(s, "%%%02X"), "%", "&#37;")) }},
	{"percent of html", func(s string) string { return url.QueryEscape(html.EscapeString(s)) }},
	{"percent of named entities", func(s string) string { return url.QueryEscape(punct(s, named)) }},
	{"json of percent", func(s string) string { return jsonString(url.PathEscape(s)) }},
	{"json \\u of percent", func(s string) string { return each(url.QueryEscape(s), `\u%04x`) }},
	{"html of json \\u", func(s string) string { return html.EscapeString(each(s, `\u%04x`)) }},
	{"json in json", func(s string) string { return jsonString(jsonString(s)) }},
	{"upper case, html escaped", func(s string) string { return html.EscapeString(strings.ToUpper(s)) }},
	{"lower case, percent-encoded", func(s string) string { return url.QueryEscape(strings.ToLower(s)) }},
	{"base64", func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }},
	{"base64 of user:secret", func(s string) string { return base64.StdEncoding.EncodeToString([]byte("user:" + s)) }},
	{"hex", func(s string) string { return fmt.Sprintf("%x", s) }},
}

// knownContexts are the texts a shape is planted in (%s): a pagekite.py
// log line, pagekitec's, a JSON value, an HTML attribute, a URL query.
var knownContexts = []string{
	"ts=6b056a02; t=2026-11-24T10:42:10; ll=1; detail=%s; FE=127.0.0.1:29081",
	"t=2026-12-06 22:10:01.123; ts=6b1a2c3d; tid=7f3a2b1c; ll=1a; msg=Header: X-Note: %s",
	`{"note": "%s", "n": 1}`,
	`<a title="%s">x</a>`,
	"GET /x?q=%s HTTP/1.1",
	"%s",
}

// randomSecret is a secret such as a user writes: three or four runs of
// letters and digits joined by punctuation (or a space), so that each run
// can be looked for in the redacted text.
func randomSecret(r *rand.Rand) string {
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	const seps = `:/,=+&<>'"!%#?@ ;\-_.~*()[]{}|$^` + "`"
	var b strings.Builder
	n := 3 + r.IntN(2)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(seps[r.IntN(len(seps))])
		}
		for j := 4 + r.IntN(5); j > 0; j-- {
			b.WriteByte(alnum[r.IntN(len(alnum))])
		}
	}
	return b.String()
}

// alnumRuns are the runs of four or more letters and digits of s.
func alnumRuns(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// survives reports whether any of secret in the shape enc is left in out:
// enc itself, or a run of its letters and digits (any case).
func survives(out, enc, secret, context string) bool {
	if strings.Contains(out, enc) {
		return true
	}
	low := strings.ToLower(out)
	for _, run := range alnumRuns(secret) {
		if len(run) >= 4 && strings.Contains(low, strings.ToLower(run)) && !strings.Contains(strings.ToLower(context), strings.ToLower(run)) {
			return true
		}
	}
	return false
}

// TestKnownSecretShapes plants random secrets, known to the redactor, in
// every shape of knownShapes and every context of knownContexts, and
// counts the shapes that survive (#30 item 2): none may.
func TestKnownSecretShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(30, 2))
	shapes, survivors := 0, 0
	failed := map[string]int{}
	for range 40 {
		secret := randomSecret(rng)
		r := New(Options{Secrets: []string{secret}, RedactIPs: true})
		for _, sh := range knownShapes {
			enc := sh.f(secret)
			for _, c := range knownContexts {
				shapes++
				in := fmt.Sprintf(c, enc)
				if out := r.String(in); survives(out, enc, secret, c) {
					survivors++
					if failed[sh.name]++; failed[sh.name] == 1 {
						t.Errorf("%s: String(%q) = %q, kept some of secret %q", sh.name, in, out, secret)
					}
				}
			}
		}
	}
	t.Logf("known secrets: %d shapes (%d kinds x %d contexts x 40 random secrets), %d survivors", shapes, len(knownShapes), len(knownContexts), survivors)
	if survivors > 0 {
		t.Errorf("%d of %d shapes survived, by kind: %v", survivors, shapes, failed)
	}
}

// fuzzableSecret reports whether the fuzzer's secret suits
// FuzzKnownSecretShapes: printable ASCII, 8 to 64 bytes, not made of
// marker text, with a run of four or more letters and digits to look for
// in the result that the text around it does not hold. A secret made
// mostly of escapes of its own, whose decoded form is shorter than
// minDerived, is only looked for as written (short forms would match
// ordinary text): it is no fuzz input either.
func fuzzableSecret(secret, text string) bool {
	if len(secret) < 8 || len(secret) > 64 || !plantable(secret) {
		return false
	}
	for _, v := range views(secret) {
		if len(v.s) < minDerived {
			return false
		}
	}
	for i := 0; i < len(secret); i++ {
		if secret[i] < ' ' || secret[i] > '~' {
			return false
		}
	}
	low, runs := strings.ToLower(text), 0
	for _, run := range alnumRuns(secret) {
		r := strings.ToLower(run)
		if strings.Contains(low, r) || strings.Contains(strings.ToLower(Marker+IPMarker), r) {
			return false
		}
		if len(run) >= 4 {
			runs++
		}
	}
	return runs > 0
}

// FuzzKnownSecretShapes plants a secret, known to the redactor, in every
// shape of knownShapes in arbitrary text and fails on any survivor. Its
// seeds are random secrets (randomSecret) in the lines of the corpus.
func FuzzKnownSecretShapes(f *testing.F) {
	rng := rand.New(rand.NewPCG(30, 3))
	for _, name := range []string{"pagekite-kite.log", "pagekitec.log"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			f.Add(line, randomSecret(rng))
		}
	}
	f.Fuzz(func(t *testing.T, text, secret string) {
		if !fuzzableSecret(secret, text) {
			t.Skip()
		}
		r := New(Options{Secrets: []string{secret}, RedactIPs: true})
		mid := len(text) / 2
		for _, sh := range knownShapes {
			enc := sh.f(secret)
			in := text[:mid] + " " + enc + " " + text[mid:]
			if out := r.String(in); survives(out, enc, secret, text) {
				t.Errorf("%s: String(%q) = %q, kept some of secret %q", sh.name, in, out, secret)
			}
		}
	})
}
