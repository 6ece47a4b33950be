package logging

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/coreos/go-systemd/v22/journal"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Targets and formats accepted in Options.
const (
	TargetAuto    = "auto"
	TargetJournal = "journal"
	TargetStderr  = "stderr"

	FormatConsole = "console"
	FormatJSON    = "json"
)

// journalSocket is where journald listens for native messages.
const journalSocket = "/run/systemd/journal/socket"

// ErrOptions is wrapped by New's errors about invalid options.
var ErrOptions = errors.New("invalid logging options")

// Options choose the logger. Empty strings mean the defaults: level info,
// target auto, format console.
type Options struct {
	// Level is debug, info, warn or error.
	Level string
	// Target is auto, journal or stderr. Auto means the journal when stderr
	// is connected to it (JOURNAL_STREAM), or when journald's socket exists
	// and we run as a systemd service (INVOCATION_ID); stderr otherwise.
	Target string
	// Format is console or json; it applies to stderr only.
	Format string
	// Output is where the stderr target writes; nil means os.Stderr.
	Output io.Writer
}

// New returns the logger the options ask for, and a function that flushes
// it (call it before exiting). Errors wrap ErrOptions.
func New(opts Options) (*zap.Logger, func(), error) {
	level := zapcore.InfoLevel
	if opts.Level != "" {
		l, err := zapcore.ParseLevel(opts.Level)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: level %q: use debug, info, warn or error", ErrOptions, opts.Level)
		}
		level = l
	}
	format := opts.Format
	switch format {
	case "":
		format = FormatConsole
	case FormatConsole, FormatJSON:
	default:
		return nil, nil, fmt.Errorf("%w: format %q: use console or json", ErrOptions, opts.Format)
	}
	var toJournal bool
	switch opts.Target {
	case "", TargetAuto:
		toJournal = UnderJournal(os.Getenv, journal.StderrIsJournalStream, socketExists)
	case TargetJournal:
		toJournal = true
	case TargetStderr:
	default:
		return nil, nil, fmt.Errorf("%w: target %q: use auto, journal or stderr", ErrOptions, opts.Target)
	}

	enab := zap.NewAtomicLevelAt(level)
	out := zapcore.Lock(os.Stderr)
	if opts.Output != nil {
		out = zapcore.Lock(zapcore.AddSync(opts.Output))
	}
	var core zapcore.Core
	if toJournal {
		core = NewJournalCore(enab, nil)
	} else {
		core = zapcore.NewCore(encoder(format), out, enab)
	}
	log := zap.New(core, zap.ErrorOutput(out))
	return log, func() { _ = log.Sync() }, nil
}

// encoder is the stderr encoder for format.
func encoder(format string) zapcore.Encoder {
	cfg := zap.NewProductionEncoderConfig()
	cfg.EncodeTime = zapcore.ISO8601TimeEncoder
	cfg.EncodeDuration = zapcore.StringDurationEncoder
	if format == FormatJSON {
		return zapcore.NewJSONEncoder(cfg)
	}
	cfg.EncodeLevel = zapcore.CapitalLevelEncoder
	return zapcore.NewConsoleEncoder(cfg)
}

// UnderJournal decides whether target auto means the journal: when stderr
// is a journal stream, or journald's socket exists and INVOCATION_ID says
// systemd started us. getenv, stderrIsJournal and socketExists are
// os.Getenv, journal.StderrIsJournalStream and a stat of journald's socket
// in production. A malformed JOURNAL_STREAM counts as no stream.
func UnderJournal(getenv func(string) string, stderrIsJournal func() (bool, error), socketExists func() bool) bool {
	if ok, err := stderrIsJournal(); err == nil && ok {
		return true
	}
	return getenv("INVOCATION_ID") != "" && socketExists()
}

func socketExists() bool {
	fi, err := os.Stat(journalSocket)
	return err == nil && fi.Mode()&os.ModeSocket != 0
}
