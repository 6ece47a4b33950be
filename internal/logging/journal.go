package logging

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/coreos/go-systemd/v22/journal"
	"go.uber.org/zap/zapcore"
)

// Identifier is the SYSLOG_IDENTIFIER of every journal entry.
const Identifier = "pkwatchdogd"

// SendFunc sends one entry to the journal; journal.Send in production.
type SendFunc func(message string, priority journal.Priority, vars map[string]string) error

// journalCore is a zapcore.Core that writes each entry natively to the
// journal, one journal field per zap field.
type journalCore struct {
	zapcore.LevelEnabler
	send SendFunc
	// fields are those added with With, in order; never modified in place
	// (With copies), so cores derived from one another share nothing mutable.
	fields []zapcore.Field
}

// NewJournalCore returns a core that sends entries at enab's levels to the
// journal through send (journal.Send when nil). Each zap field becomes an
// upper-case journal field (see FieldName); nested objects are flattened
// with _ (an object "http" with key "code" gives HTTP_CODE), arrays are
// JSON. Every entry carries MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, and when
// known LOGGER, CODE_FILE, CODE_LINE, CODE_FUNC and STACK. MessageID becomes
// MESSAGE_ID.
func NewJournalCore(enab zapcore.LevelEnabler, send SendFunc) zapcore.Core {
	if send == nil {
		send = journal.Send
	}
	return &journalCore{LevelEnabler: enab, send: send}
}

func (c *journalCore) With(fields []zapcore.Field) zapcore.Core {
	all := make([]zapcore.Field, 0, len(c.fields)+len(fields))
	all = append(all, c.fields...)
	all = append(all, fields...)
	return &journalCore{LevelEnabler: c.LevelEnabler, send: c.send, fields: all}
}

func (c *journalCore) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(ent.Level) {
		return ce.AddCore(ent, c)
	}
	return ce
}

func (c *journalCore) Write(ent zapcore.Entry, fields []zapcore.Field) error {
	if err := c.send(ent.Message, priority(ent.Level), c.vars(ent, fields)); err != nil {
		return fmt.Errorf("send to journal: %w", err)
	}
	return nil
}

// Sync has nothing to do: every entry is one datagram, sent in Write.
func (c *journalCore) Sync() error { return nil }

// vars builds the journal fields of one entry.
func (c *journalCore) vars(ent zapcore.Entry, fields []zapcore.Field) map[string]string {
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range c.fields {
		f.AddTo(enc)
	}
	for _, f := range fields {
		f.AddTo(enc)
	}
	vars := make(map[string]string, len(enc.Fields)+6)
	keys := make([]string, 0, len(enc.Fields))
	for k := range enc.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic when two keys map to one name: the last wins
	for _, k := range keys {
		if k == messageIDKey {
			if s, ok := enc.Fields[k].(string); ok {
				vars["MESSAGE_ID"] = s
				continue
			}
		}
		flatten(vars, FieldName(k), enc.Fields[k])
	}
	vars["SYSLOG_IDENTIFIER"] = Identifier
	if ent.LoggerName != "" {
		vars["LOGGER"] = ent.LoggerName
	}
	if ent.Caller.Defined {
		vars["CODE_FILE"] = ent.Caller.File
		vars["CODE_LINE"] = strconv.Itoa(ent.Caller.Line)
		if ent.Caller.Function != "" {
			vars["CODE_FUNC"] = ent.Caller.Function
		}
	}
	if ent.Stack != "" {
		vars["STACK"] = ent.Stack
	}
	return vars
}

// flatten stores v under name, descending into nested objects (zap.Object,
// zap.Namespace) with name_KEY.
func flatten(vars map[string]string, name string, v any) {
	if m, ok := v.(map[string]any); ok {
		for k, sub := range m {
			flatten(vars, truncate(name+"_"+FieldName(k)), sub)
		}
		return
	}
	vars[name] = value(v)
}

func truncate(name string) string {
	if len(name) > maxFieldName {
		return name[:maxFieldName]
	}
	return name
}

// value renders one field value as journal text.
func value(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		return v.Format(time.RFC3339Nano)
	case time.Duration:
		return v.String()
	case fmt.Stringer:
		return v.String()
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, uintptr,
		float32, float64, complex64, complex128:
		return fmt.Sprint(v)
	}
	if b, err := json.Marshal(v); err == nil {
		return string(b)
	}
	return fmt.Sprint(v)
}

// priority maps a zap level to a syslog priority.
func priority(l zapcore.Level) journal.Priority {
	switch {
	case l <= zapcore.DebugLevel:
		return journal.PriDebug
	case l == zapcore.InfoLevel:
		return journal.PriInfo
	case l == zapcore.WarnLevel:
		return journal.PriWarning
	case l == zapcore.ErrorLevel:
		return journal.PriErr
	case l == zapcore.FatalLevel:
		return journal.PriAlert
	default: // DPanic, Panic
		return journal.PriCrit
	}
}
