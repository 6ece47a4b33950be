package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sync"
)

// sensitiveKey matches JSON object keys whose string values are removed
// whole, whatever they hold.
var sensitiveKey = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)secret|pass|pwd|token|cookie|auth|api.?key|session|credential`)
})

// JSON returns the JSON document data, indented, with every string (keys
// included) redacted as by String, the string values of sensitive keys
// ("secret", "password", "pwd", "auth", "apikey", "token", ...) replaced whole, and any number that
// contains a secret replaced by the string Marker. Key order is kept.
// Working on the decoded strings, rather than on the JSON text, also
// catches secrets that JSON escaping would hide (a secret holding `"` or
// `<`).
func (r *Redactor) JSON(data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out bytes.Buffer
	type frame struct {
		object bool
		n      int    // values (or keys) written so far
		key    string // last key, in an object
	}
	var stack []frame
	wantKey := func() bool {
		return len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].n%2 == 0
	}
	// sep writes the separator before the next token and counts it.
	sep := func() {
		if len(stack) == 0 {
			return
		}
		f := &stack[len(stack)-1]
		switch {
		case f.object && f.n%2 == 1:
			out.WriteByte(':')
		case f.n > 0:
			out.WriteByte(',')
		}
		f.n++
	}
	inSensitive := func() bool {
		return len(stack) > 0 && stack[len(stack)-1].object && sensitiveKey().MatchString(stack[len(stack)-1].key)
	}
	writeString := func(s string) error {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			return err
		}
		out.Write(bytes.TrimRight(b.Bytes(), "\n"))
		return nil
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("redact json: %w", err)
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			out.WriteByte(byte(d))
			continue
		}
		isKey := wantKey()
		sensitive := !isKey && inSensitive()
		sep()
		switch v := tok.(type) {
		case json.Delim:
			out.WriteByte(byte(v))
			stack = append(stack, frame{object: v == '{'})
		case string:
			if isKey {
				stack[len(stack)-1].key = v
			}
			switch {
			case sensitive && v != "":
				v = Marker
			default:
				v = r.String(v)
			}
			if err := writeString(v); err != nil {
				return nil, fmt.Errorf("redact json: %w", err)
			}
		case json.Number:
			if s := r.String(v.String()); s != v.String() || sensitive {
				if err := writeString(Marker); err != nil {
					return nil, fmt.Errorf("redact json: %w", err)
				}
			} else {
				out.WriteString(s)
			}
		case bool:
			fmt.Fprint(&out, v)
		case nil:
			out.WriteString("null")
		}
	}
	var ind bytes.Buffer
	if err := json.Indent(&ind, out.Bytes(), "", "  "); err != nil {
		return nil, fmt.Errorf("redact json: %w", err)
	}
	ind.WriteByte('\n')
	return ind.Bytes(), nil
}
