package pkconfig

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	"github.com/pagekite/pkwatchdogd/internal/safefile"
)

// ParseUCI reads OpenWrt's UCI file for pagekitec (/etc/config/pagekitec)
// and returns the pagekitec its init script starts: from the section
// "pagekitec" (of type pagekitec), options kitename, kitesecret,
// simple_http (→ 80 http NAME 80 SECRET) and simple_ssh (→ 22 raw NAME 443
// SECRET), and static/status options it knows nothing of are ignored. A
// section with neither simple_http nor simple_ssh set has no kites.
// Results as for ParsePagekitec; (nil, err) when the file cannot be read.
func ParseUCI(path string) (*Pagekitec, error) {
	data, err := safefile.ReadFile(path, maxFile)
	if err != nil {
		return nil, fmt.Errorf("read pagekitec UCI config: %w", err)
	}
	opts := map[string]string{}
	in := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxFile)
	for sc.Scan() {
		f := uciFields(sc.Text())
		switch {
		case len(f) >= 2 && f[0] == "config":
			in = f[1] == "pagekitec"
		case in && len(f) >= 3 && f[0] == "option":
			opts[f[1]] = f[2]
		}
	}
	var args []string
	name, secret := opts["kitename"], opts["kitesecret"]
	if uciTrue(opts["simple_http"]) {
		args = append(args, "80", "http", name, "80", secret)
	}
	if uciTrue(opts["simple_ssh"]) {
		args = append(args, "22", "raw", name, "443", secret)
	}
	if len(args) == 0 {
		// No simple_http, no simple_ssh: no kites, but the secret is
		// one all the same.
		pc := &Pagekitec{}
		if secret != "" {
			pc.Secrets = []string{secret}
		}
		return pc, nil
	}
	pc, perr := ParsePagekitec(args)
	if perr != nil {
		for i := range perr.(*Errors).Problems {
			perr.(*Errors).Problems[i].File = path
		}
	}
	if name == "" && len(args) > 0 {
		return pc, &Errors{Problems: []Problem{{File: path, Msg: "option kitename is not set"}}}
	}
	return pc, perr
}

// uciFields splits a UCI line into words, unquoting '...' and "..." and
// taking the character after a backslash as it is (outside quotes and
// inside "..."), as libuci does (a quote within a quoted word is written
// as quote, backslash, quote, quote); comments (#) end it.
func uciFields(line string) []string {
	var out []string
	var cur strings.Builder
	quote, inWord := byte(0), false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && quote != '\'' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			inWord = true
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(c)
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == '#':
			i = len(line)
		case c == ' ' || c == '\t':
			if inWord {
				out, inWord = append(out, cur.String()), false
				cur.Reset()
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}

// uciTrue reports whether a UCI boolean is set.
func uciTrue(v string) bool {
	switch strings.ToLower(v) {
	case "1", "yes", "on", "true", "enabled":
		return true
	}
	return false
}
