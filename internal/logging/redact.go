package logging

import (
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Redacting returns a core that passes the message and every text of each
// entry (strings, errors, Stringers, arrays and objects) through scrub
// before core writes it: no log line, at any level, carries a secret that
// scrub knows. Numbers, times and durations pass as they are.
func Redacting(core zapcore.Core, scrub func(string) string) zapcore.Core {
	return &redactingCore{Core: core, scrub: scrub}
}

type redactingCore struct {
	zapcore.Core
	scrub func(string) string
}

func (c *redactingCore) With(fields []zapcore.Field) zapcore.Core {
	return &redactingCore{Core: c.Core.With(c.fields(fields)), scrub: c.scrub}
}

func (c *redactingCore) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(ent.Level) {
		return ce.AddCore(ent, c)
	}
	return ce
}

func (c *redactingCore) Write(ent zapcore.Entry, fields []zapcore.Field) error {
	ent.Message = c.scrub(ent.Message)
	ent.Stack = c.scrub(ent.Stack)
	return c.Core.Write(ent, c.fields(fields))
}

// fields returns fields with their texts scrubbed (a copy when any
// changes).
func (c *redactingCore) fields(fields []zapcore.Field) []zapcore.Field {
	out := fields
	copied := false
	set := func(i int, f zapcore.Field) {
		if !copied {
			out = append([]zapcore.Field(nil), fields...)
			copied = true
		}
		out[i] = f
	}
	for i, f := range fields {
		switch f.Type {
		case zapcore.StringType:
			if s := c.scrub(f.String); s != f.String {
				set(i, zap.String(f.Key, s))
			}
		case zapcore.ErrorType:
			if err, ok := f.Interface.(error); ok && err != nil {
				set(i, zap.String(f.Key, c.scrub(err.Error())))
			}
		case zapcore.StringerType, zapcore.ArrayMarshalerType, zapcore.ObjectMarshalerType,
			zapcore.ByteStringType, zapcore.ReflectType:
			// Written as one text (JSON for arrays and objects, as in
			// the journal), scrubbed whole: a secret split over two
			// elements ("--service_on", "VALUE") is still found.
			enc := zapcore.NewMapObjectEncoder()
			f.AddTo(enc)
			set(i, zap.String(f.Key, c.scrub(value(enc.Fields[f.Key]))))
		}
	}
	return out
}
