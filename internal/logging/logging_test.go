package logging

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/journal"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func TestFieldName(t *testing.T) {
	tests := []struct{ key, want string }{
		{"kite", "KITE"},
		{"from", "FROM"},
		{"error", "ERROR"},
		{"dry_run", "DRY_RUN"},
		{"relay.addr", "RELAY_ADDR"},
		{"http-code", "HTTP_CODE"},
		{"_PID", "PID"},
		{"__x", "X"},
		{"9lives", "F_9LIVES"},
		{"", "FIELD"},
		{"___", "FIELD"},
		{"message", "ZAP_MESSAGE"},
		{"priority", "ZAP_PRIORITY"},
		{"syslog_identifier", "ZAP_SYSLOG_IDENTIFIER"},
		{"Ünïcode", "N_CODE"},
		{strings.Repeat("a", 70), strings.Repeat("A", 64)},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := FieldName(tt.key); got != tt.want {
				t.Errorf("FieldName(%q) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}

func TestMessageIDs(t *testing.T) {
	ids := map[string]string{
		"MsgRestart":           MsgRestart,
		"MsgRestartSuppressed": MsgRestartSuppressed,
		"MsgReportUploaded":    MsgReportUploaded,
		"MsgKiteRecovered":     MsgKiteRecovered,
		"MsgKiteDown":          MsgKiteDown,
		"MsgKiteRejected":      MsgKiteRejected,
	}
	seen := map[string]string{}
	for name, id := range ids {
		if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
			t.Errorf("%s = %q, want 32 lowercase hex digits", name, id)
		}
		if other, dup := seen[id]; dup {
			t.Errorf("%s = %s, the same as %s", name, id, other)
		}
		seen[id] = name
	}
}

// sent is one entry captured from the journal core.
type sent struct {
	msg  string
	pri  journal.Priority
	vars map[string]string
}

// recorder captures what the journal core sends. There is no journald on
// the machines that run these tests, so the core's send function is
// injected here; test/e2e-systemd.sh proves the real journal under systemd.
type recorder struct{ entries []sent }

func (r *recorder) send(msg string, pri journal.Priority, vars map[string]string) error {
	r.entries = append(r.entries, sent{msg, pri, vars})
	return nil
}

func (r *recorder) last(t *testing.T) sent {
	t.Helper()
	if len(r.entries) == 0 {
		t.Fatal("nothing sent to the journal")
	}
	return r.entries[len(r.entries)-1]
}

type addr struct{ host, port string }

func (a addr) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("host", a.host)
	enc.AddString("port", a.port)
	return nil
}

func TestJournalCoreFields(t *testing.T) {
	tests := []struct {
		name   string
		log    func(*zap.Logger)
		msg    string
		pri    journal.Priority
		want   map[string]string
		absent []string
	}{
		{
			name: "strings and error",
			log: func(l *zap.Logger) {
				l.Warn("kite state changed", zap.String("kite", "foo.kite.test"), zap.String("from", "flying"),
					zap.String("to", "suspect"), zap.Error(errors.New("connection refused")))
			},
			msg: "kite state changed", pri: journal.PriWarning,
			want: map[string]string{"KITE": "foo.kite.test", "FROM": "flying", "TO": "suspect",
				"ERROR": "connection refused", "SYSLOG_IDENTIFIER": "pkwatchdogd"},
		},
		{
			name: "message id",
			log: func(l *zap.Logger) {
				l.Error("restarting pagekite", zap.String("kite", "k"), MessageID(MsgRestart))
			},
			msg: "restarting pagekite", pri: journal.PriErr,
			want:   map[string]string{"MESSAGE_ID": MsgRestart, "KITE": "k"},
			absent: []string{"ZAP_MESSAGE_ID"},
		},
		{
			name: "numbers, durations, bools, lists",
			log: func(l *zap.Logger) {
				l.Info("probe", zap.Int("status", 503), zap.Duration("took", 1500*time.Millisecond),
					zap.Bool("dry_run", true), zap.Strings("problems", []string{"a", "b"}), zap.Float64("ratio", 0.5))
			},
			msg: "probe", pri: journal.PriInfo,
			want: map[string]string{"STATUS": "503", "TOOK": "1.5s", "DRY_RUN": "true",
				"PROBLEMS": `["a","b"]`, "RATIO": "0.5"},
		},
		{
			name: "nested object and namespace",
			log: func(l *zap.Logger) {
				l.Debug("relay", zap.Object("relay", addr{"127.0.0.1", "29081"}),
					zap.Namespace("http"), zap.Int("code", 200))
			},
			msg: "relay", pri: journal.PriDebug,
			want: map[string]string{"RELAY_HOST": "127.0.0.1", "RELAY_PORT": "29081", "HTTP_CODE": "200"},
		},
		{
			name: "reserved names are kept apart",
			log: func(l *zap.Logger) {
				l.Info("real message", zap.String("message", "fake"), zap.String("priority", "0"),
					zap.String("_PID", "1"))
			},
			msg: "real message", pri: journal.PriInfo,
			want:   map[string]string{"ZAP_MESSAGE": "fake", "ZAP_PRIORITY": "0", "PID": "1"},
			absent: []string{"MESSAGE", "PRIORITY", "_PID"},
		},
		{
			name: "logger name and caller",
			log: func(l *zap.Logger) {
				l.Named("watchdog").WithOptions(zap.AddCaller()).Info("started")
			},
			msg: "started", pri: journal.PriInfo,
			want: map[string]string{"LOGGER": "watchdog", "CODE_FILE": "logging_test.go"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r recorder
			tt.log(zap.New(NewJournalCore(zapcore.DebugLevel, r.send)))
			got := r.last(t)
			if got.msg != tt.msg || got.pri != tt.pri {
				t.Errorf("sent (%q, %d), want (%q, %d)", got.msg, got.pri, tt.msg, tt.pri)
			}
			for k, want := range tt.want {
				v := got.vars[k]
				if k == "CODE_FILE" {
					v = v[strings.LastIndexByte(v, '/')+1:]
				}
				if v != want {
					t.Errorf("field %s = %q, want %q (all: %v)", k, v, want, got.vars)
				}
			}
			for _, k := range tt.absent {
				if v, ok := got.vars[k]; ok {
					t.Errorf("field %s = %q, want it absent", k, v)
				}
			}
			for k := range got.vars {
				if FieldName(k) != k && !strings.HasPrefix(k, "ZAP_") && k != "MESSAGE_ID" && !reserved(k) {
					t.Errorf("sent field %q, which is not a valid journal field name", k)
				}
			}
		})
	}
}

func TestJournalCoreWith(t *testing.T) {
	var r recorder
	base := zap.New(NewJournalCore(zapcore.InfoLevel, r.send)).Named("kite")
	foo := base.With(zap.String("kite", "foo.kite.test"), zap.String("relay", "127.0.0.1:1"))
	bar := foo.With(zap.String("kite", "bar.kite.test"))

	foo.Info("probe done", zap.String("verdict", "flying"))
	bar.Info("probe done", zap.String("verdict", "kite-down"))
	base.Info("plain")
	foo.Info("again")

	want := []map[string]string{
		{"KITE": "foo.kite.test", "RELAY": "127.0.0.1:1", "VERDICT": "flying"},
		{"KITE": "bar.kite.test", "RELAY": "127.0.0.1:1", "VERDICT": "kite-down"},
		{"KITE": "", "RELAY": "", "VERDICT": ""},
		{"KITE": "foo.kite.test", "RELAY": "127.0.0.1:1", "VERDICT": ""},
	}
	if len(r.entries) != len(want) {
		t.Fatalf("sent %d entries, want %d", len(r.entries), len(want))
	}
	for i, w := range want {
		for k, v := range w {
			if got := r.entries[i].vars[k]; got != v {
				t.Errorf("entry %d (%s): field %s = %q, want %q", i, r.entries[i].msg, k, got, v)
			}
		}
		if got := r.entries[i].vars["LOGGER"]; got != "kite" {
			t.Errorf("entry %d: LOGGER = %q, want kite", i, got)
		}
	}
}

func TestJournalCoreLevels(t *testing.T) {
	var r recorder
	log := zap.New(NewJournalCore(zapcore.WarnLevel, r.send))
	log.Debug("d")
	log.Info("i")
	log.Warn("w")
	log.Error("e")
	var got []string
	for _, e := range r.entries {
		got = append(got, e.msg)
	}
	if strings.Join(got, ",") != "w,e" {
		t.Errorf("at level warn, sent %v, want [w e]", got)
	}
}

func TestJournalCoreSendError(t *testing.T) {
	core := NewJournalCore(zapcore.InfoLevel, func(string, journal.Priority, map[string]string) error {
		return errors.New("no journald")
	})
	err := core.Write(zapcore.Entry{Level: zapcore.InfoLevel, Message: "m"}, nil)
	if err == nil || !strings.Contains(err.Error(), "no journald") {
		t.Errorf("Write() = %v, want an error wrapping the send error", err)
	}
}

func TestPriority(t *testing.T) {
	tests := []struct {
		level zapcore.Level
		want  journal.Priority
	}{
		{zapcore.DebugLevel, journal.PriDebug},
		{zapcore.InfoLevel, journal.PriInfo},
		{zapcore.WarnLevel, journal.PriWarning},
		{zapcore.ErrorLevel, journal.PriErr},
		{zapcore.DPanicLevel, journal.PriCrit},
		{zapcore.PanicLevel, journal.PriCrit},
		{zapcore.FatalLevel, journal.PriAlert},
	}
	for _, tt := range tests {
		if got := priority(tt.level); got != tt.want {
			t.Errorf("priority(%v) = %d, want %d", tt.level, got, tt.want)
		}
	}
}

func TestUnderJournal(t *testing.T) {
	tests := []struct {
		name         string
		env          map[string]string
		stream       bool
		streamErr    error
		socketExists bool
		want         bool
	}{
		{name: "stderr is the journal", stream: true, want: true},
		{name: "service with journald socket", env: map[string]string{"INVOCATION_ID": "abc"}, socketExists: true, want: true},
		{name: "service without journald", env: map[string]string{"INVOCATION_ID": "abc"}},
		{name: "socket but not a service", socketExists: true},
		{name: "terminal"},
		{name: "malformed JOURNAL_STREAM", streamErr: errors.New("bad"), stream: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := UnderJournal(func(k string) string { return tt.env[k] },
				func() (bool, error) { return tt.stream, tt.streamErr },
				func() bool { return tt.socketExists })
			if got != tt.want {
				t.Errorf("UnderJournal() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNewOptionErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		ok   bool
	}{
		{"defaults", Options{Target: TargetStderr}, true},
		{"json debug", Options{Level: "debug", Target: TargetStderr, Format: FormatJSON}, true},
		{"journal", Options{Level: "warn", Target: TargetJournal}, true},
		{"bad level", Options{Level: "loud"}, false},
		{"bad target", Options{Target: "syslog"}, false},
		{"bad format", Options{Format: "xml"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, done, err := New(tt.opts)
			if tt.ok {
				if err != nil || log == nil || done == nil {
					t.Fatalf("New(%+v) = %v, %v, want a logger", tt.opts, log, err)
				}
				done()
				return
			}
			if !errors.Is(err, ErrOptions) {
				t.Errorf("New(%+v) error = %v, want ErrOptions", tt.opts, err)
			}
		})
	}
}

// TestNewStderr reads what the stderr logger writes through a real pipe
// standing in for fd 2.
func TestNewStderr(t *testing.T) {
	tests := []struct {
		format string
		want   []string
	}{
		{FormatConsole, []string{"WARN", "kite state changed", `"kite": "foo.kite.test"`, `"message_id": "` + MsgKiteDown}},
		{FormatJSON, []string{`"level":"warn"`, `"msg":"kite state changed"`, `"kite":"foo.kite.test"`, `"message_id":"` + MsgKiteDown}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			saved := os.Stderr
			os.Stderr = w
			log, done, err := New(Options{Level: "info", Target: TargetStderr, Format: tt.format})
			os.Stderr = saved
			if err != nil {
				t.Fatal(err)
			}
			log.Debug("hidden")
			log.Warn("kite state changed", zap.String("kite", "foo.kite.test"), MessageID(MsgKiteDown))
			done()
			w.Close()
			line, _ := bufio.NewReader(r).ReadString('\n')
			for _, s := range tt.want {
				if !strings.Contains(line, s) {
					t.Errorf("stderr line %q does not contain %q", line, s)
				}
			}
			if strings.Contains(line, "hidden") {
				t.Errorf("stderr line %q has the debug entry at level info", line)
			}
		})
	}
}
