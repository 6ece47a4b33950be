package pkconfig

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"

	"github.com/pagekite/pkwatchdogd/internal/safefile"
)

// maxDepth is how deeply optfile/optdir may nest, as in pagekite.py.
const maxDepth = 25

// ParseDir reads the files in dir whose names end in ".rc" (and do not start
// with "."), in sorted order, as pagekite.py --optdir does.
//
// It returns:
//   - (cfg, nil): everything parsed;
//   - (cfg, *Errors): cfg holds everything that parsed, the error lists the
//     bad lines (errors.As-able);
//   - (nil, err): dir could not be read (err wraps the os error).
func ParseDir(dir string) (*Config, error) {
	p := newParser()
	if err := p.dir(dir); err != nil {
		return nil, err
	}
	return p.result()
}

// ParseFile reads one rc file as pagekite.py --optfile does. Its results are
// as for ParseDir; (nil, err) when the file cannot be read.
func ParseFile(path string) (*Config, error) {
	p := newParser()
	if err := p.file(path); err != nil {
		return nil, err
	}
	return p.result()
}

// ParseArgs reads a pagekite.py command line (without the program name):
// long options as "--name=value" or "--name value", and the short options
// pagekite.py knows. Quick-start positional kite specs ("80 NAME") are
// reported as problems, not parsed. Results as for ParseDir, with Problem.File
// "argv" and Problem.Line the 1-based argument index.
func ParseArgs(args []string) (*Config, error) {
	p := newParser()
	p.args(args)
	return p.result()
}

// parser holds the state of one Parse call.
type parser struct {
	cfg        Config
	kitename   string
	kitesecret string
	kiteIndex  map[string]int  // kite name -> index in cfg.Kites
	ids        map[string]bool // pagekite.py backend ids defined so far
	secrets    map[string]bool
	problems   []Problem
	depth      int
}

func newParser() *parser {
	return &parser{
		kiteIndex: map[string]int{},
		ids:       map[string]bool{},
		secrets:   map[string]bool{},
	}
}

func (p *parser) result() (*Config, error) {
	cfg := p.cfg
	if len(p.problems) > 0 {
		return &cfg, &Errors{Problems: p.problems}
	}
	return &cfg, nil
}

// pos is where an option came from.
type pos struct {
	file string
	line int
}

func (p *parser) problem(at pos, format string, args ...any) {
	p.problems = append(p.problems, Problem{File: at.file, Line: at.line, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) dir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read pagekite config dir: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") && strings.HasSuffix(e.Name(), ".rc") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, name := range names {
		if err := p.file(filepath.Join(dir, name)); err != nil {
			p.problems = append(p.problems, Problem{File: filepath.Join(dir, name), Msg: unwrapAll(err)})
		}
	}
	return nil
}

// unwrapAll returns the innermost error's message (without the wrapping
// context, which names the file again).
func unwrapAll(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// maxFile bounds one rc file: pagekite.py's are a few KB.
const maxFile = 1 << 20

func (p *parser) file(path string) error {
	data, err := safefile.ReadFile(path, maxFile)
	if err != nil {
		return fmt.Errorf("read pagekite config: %w", err)
	}
	p.cfg.Files = append(p.cfg.Files, path)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "END") {
			break
		}
		at := pos{file: path, line: n}
		if strings.HasPrefix(line, "-") && !strings.HasPrefix(line, "--") {
			p.problem(at, "short options are not supported in rc files")
			continue
		}
		line = strings.TrimPrefix(line, "--")
		line = collapse(collapse(line, "="), ":")
		name, arg, hasArg := strings.Cut(line, "=")
		p.option(at, name, arg, hasArg)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read pagekite config: %w", err)
	}
	return nil
}

// collapse removes white space around every sep in s, as pagekite.py's
// re.sub(r'\s*SEP\s*', SEP, line) does.
func collapse(s, sep string) string {
	parts := strings.Split(s, sep)
	for i := range parts {
		if i > 0 {
			parts[i] = strings.TrimLeftFunc(parts[i], unicode.IsSpace)
		}
		if i < len(parts)-1 {
			parts[i] = strings.TrimRightFunc(parts[i], unicode.IsSpace)
		}
	}
	return strings.Join(parts, sep)
}

// shortOptions maps pagekite.py's short options (OPT_FLAGS) to long ones; ""
// for flags without a long form that take no argument.
func shortOption(c byte) (long string, takesArg, known bool) {
	switch c {
	case 'o':
		return "optfile", true, true
	case 'O':
		return "optdir", true, true
	case 'S':
		return "savefile", true, true
	case 'H':
		return "httpd", true, true
	case 'P':
		return "pemfile", true, true
	case 'X':
		return "httppass", true, true
	case 'L':
		return "logfile", true, true
	case 'I':
		return "pidfile", true, true
	case 'A', 'R':
		return "", true, true
	case 'h':
		return "host", true, true
	case 'p':
		return "ports", true, true
	case 'D':
		return "dyndns", true, true
	case 'U':
		return "runas", true, true
	case 'E':
		return "errorurl", true, true
	case 'Z':
		return "daemonize", false, true
	case 'f', 'a', 'N':
		return "", false, true
	}
	return "", false, false
}

func (p *parser) args(args []string) {
	for i := 0; i < len(args); i++ {
		at := pos{file: "argv", line: i + 1}
		a := args[i]
		switch {
		case a == "--":
			if i+1 < len(args) {
				p.problem(at, "positional arguments (quick-start kite specs) are not supported")
			}
			return
		case strings.HasPrefix(a, "--"):
			name, arg, hasArg := strings.Cut(a[2:], "=")
			if takes, known := lookupOption(name); known && takes && !hasArg && i+1 < len(args) {
				i++
				arg, hasArg = args[i], true
			}
			p.option(at, name, arg, hasArg)
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ {
				long, takes, known := shortOption(a[j])
				if !known {
					p.problem(at, "unknown short option -%c", a[j])
					break
				}
				if !takes {
					if long != "" {
						p.option(at, long, "", false)
					}
					continue
				}
				arg := a[j+1:]
				if arg == "" {
					if i+1 >= len(args) {
						p.problem(at, "option -%c needs an argument", a[j])
						break
					}
					i++
					arg = args[i]
				}
				if long != "" {
					p.option(at, long, arg, true)
				}
				break
			}
		default:
			p.problem(at, "positional arguments (quick-start kite specs) are not supported")
		}
	}
}
