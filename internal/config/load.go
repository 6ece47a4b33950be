package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/safefile"
)

// Load reads the TOML file at path over Default(), fills the per-kite
// defaults and validates the result.
//
// It returns:
//   - (cfg, nil): a valid configuration;
//   - (nil, *SyntaxError): the file is not valid TOML, or a value cannot be
//     decoded into its key (a bad duration), reported as FILE:LINE:COL;
//   - (nil, *Errors): unknown keys and invalid values, every one of them;
//   - (nil, err): the file cannot be read, or a value has the wrong TOML
//     type (err wraps the cause and names the file).
func Load(path string) (*Config, error) {
	data, err := safefile.ReadFile(path, MaxConfigSize)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return parse(path, string(data))
}

// Bounds of what Load reads.
const (
	// MaxConfigSize is the largest config file Load reads.
	MaxConfigSize = 1 << 20
	// MaxNesting is how deeply arrays, inline tables and dotted keys
	// ([a.b.c], a.b.c = 1) may nest in it: the TOML decoder's time,
	// stack and memory grow with the depth.
	MaxNesting = 16
)

// parse is Load for text already read; name is used in errors.
func parse(name, text string) (*Config, error) {
	if line, ok := tooDeep(text, MaxNesting); !ok {
		return nil, &SyntaxError{File: name, Line: line, Col: 1, Msg: fmt.Sprintf("arrays, inline tables and dotted keys nest deeper than %d", MaxNesting)}
	}
	cfg := Default()
	md, err := toml.Decode(text, &cfg)
	if err != nil {
		return nil, decodeError(name, err)
	}
	var problems []Problem
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		var raw map[string]any
		if _, err := toml.Decode(text, &raw); err != nil {
			return nil, decodeError(name, err)
		}
		for _, key := range undecoded {
			for _, p := range keyPaths(raw, key) {
				problems = append(problems, Problem{Key: p, Msg: "unknown key"})
			}
		}
	}
	cfg.fillKiteDefaults()
	problems = append(problems, cfg.problems()...)
	if len(problems) > 0 {
		return nil, &Errors{File: name, Problems: problems}
	}
	return &cfg, nil
}

func decodeError(name string, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		msg := pe.Message
		if pe.LastKey != "" {
			msg = pe.LastKey + ": " + msg
		}
		return &SyntaxError{File: name, Line: pe.Position.Line, Col: pe.Position.Col, Msg: msg, err: err}
	}
	return fmt.Errorf("%s: %w", name, err)
}

// keyPaths spells an undecoded key with the index of every array-of-tables
// element it occurs in: "kite[1].conect_to" rather than "kite.conect_to".
func keyPaths(raw map[string]any, key toml.Key) []string {
	var out []string
	walkKey(raw, key, "", &out)
	if len(out) == 0 {
		out = append(out, key.String())
	}
	return out
}

func walkKey(v any, parts []string, prefix string, out *[]string) {
	m, ok := v.(map[string]any)
	if !ok || len(parts) == 0 {
		return
	}
	child, ok := m[parts[0]]
	if !ok {
		return
	}
	path := quoteKey(parts[0])
	if prefix != "" {
		path = prefix + "." + path
	}
	rest := parts[1:]
	if len(rest) == 0 {
		*out = append(*out, path)
		return
	}
	switch c := child.(type) {
	case map[string]any:
		walkKey(c, rest, path, out)
	case []map[string]any:
		for i, elem := range c {
			walkKey(elem, rest, path+"["+strconv.Itoa(i)+"]", out)
		}
	case []any:
		for i, elem := range c {
			walkKey(elem, rest, path+"["+strconv.Itoa(i)+"]", out)
		}
	}
}

// quoteKey quotes a key part that is not a TOML bare key.
func quoteKey(k string) string {
	if k == "" || strings.IndexFunc(k, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	}) >= 0 {
		return strconv.Quote(k)
	}
	return k
}

// fillKiteDefaults sets each [[kite]]'s kind (http) and, for http kites, its
// URL (http://NAME/: TLS only where the user writes https) when they are
// not given.
func (c *Config) fillKiteDefaults() {
	for i := range c.Kites {
		k := &c.Kites[i]
		if k.Kind == "" {
			k.Kind = probe.KindHTTP
		}
		if k.URL == "" && k.Kind == probe.KindHTTP && k.Name != "" {
			k.URL = "http://" + k.Name + "/"
		}
	}
}

// tooDeep scans TOML text for nesting outside strings and comments:
// brackets, braces and the dots of dotted keys ([a.b.c] and a.b.c = 1
// nest as deeply as three tables), and reports the line where it first
// goes deeper than max (ok false), or ok true. Table headers ([a],
// [[a]]) count as the brackets they are; they close on their line. A dot
// in a value (1.5) is no nesting.
func tooDeep(text string, max int) (line int, ok bool) {
	line = 1
	var open []byte // the brackets and braces open, innermost last
	inKey, dots := true, 0
	top := func() byte {
		if len(open) == 0 {
			return 0
		}
		return open[len(open)-1]
	}
	for i := 0; i < len(text); i++ {
		switch c := text[i]; c {
		case '\n':
			line++
			if len(open) == 0 || top() == '{' {
				inKey, dots = true, 0
			}
		case '#':
			for i < len(text) && text[i] != '\n' {
				i++
			}
			line++
			if len(open) == 0 || top() == '{' {
				inKey, dots = true, 0
			}
		case '"', '\'':
			quote := text[i : i+1]
			if strings.HasPrefix(text[i:], strings.Repeat(quote, 3)) {
				quote = strings.Repeat(quote, 3)
			}
			j := i + len(quote)
			for j < len(text) && !strings.HasPrefix(text[j:], quote) {
				if text[j] == '\\' && c == '"' {
					j++
				}
				if j < len(text) && text[j] == '\n' {
					line++
				}
				j++
			}
			i = j + len(quote) - 1
		case '=':
			inKey, dots = false, 0
		case '.':
			if inKey {
				dots++
				if len(open)+dots > max {
					return line, false
				}
			}
		case ',':
			if top() == '{' {
				inKey, dots = true, 0
			}
		case '[', '{':
			if c == '{' {
				inKey, dots = true, 0
			}
			open = append(open, c)
			if len(open)+dots > max {
				return line, false
			}
		case ']', '}':
			if len(open) > 0 {
				open = open[:len(open)-1]
			}
			if len(open) == 0 {
				dots = 0
			}
		}
	}
	return line, true
}
