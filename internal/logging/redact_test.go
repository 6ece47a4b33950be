package logging

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

type secretObject struct{}

func (secretObject) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("token", "SECRET-1")
	return nil
}

type secretStringer struct{}

func (secretStringer) String() string { return "has SECRET-1" }

// TestRedacting: the message and every text of an entry, at every level,
// in With fields and in each field kind that carries text, go through
// the scrub; numbers pass unchanged.
func TestRedacting(t *testing.T) {
	obs, logs := observer.New(zap.DebugLevel)
	scrub := func(s string) string { return strings.ReplaceAll(s, "SECRET-1", "[X]") }
	log := zap.New(Redacting(obs, scrub)).With(zap.String("with", "SECRET-1"))
	log.Debug("message SECRET-1",
		zap.String("s", "a SECRET-1"),
		zap.Error(errors.New("err SECRET-1")),
		zap.Strings("argv", []string{"x", "SECRET-1"}),
		zap.Object("obj", secretObject{}),
		zap.Stringer("str", secretStringer{}),
		zap.ByteString("bytes", []byte("SECRET-1")),
		zap.Any("any", map[string]string{"k": "SECRET-1"}),
		zap.Int("n", 42))
	entries := logs.AllUntimed()
	if len(entries) != 1 {
		t.Fatalf("entries = %d", len(entries))
	}
	e := entries[0]
	all := e.Message
	for k, v := range e.ContextMap() {
		all += " " + k + "=" + toString(v)
	}
	if strings.Contains(all, "SECRET-1") {
		t.Errorf("a secret reached the log: %s", all)
	}
	if e.ContextMap()["n"] != int64(42) {
		t.Errorf("n = %v, want 42", e.ContextMap()["n"])
	}
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		var parts []string
		for _, e := range x {
			parts = append(parts, toString(e))
		}
		return strings.Join(parts, ",")
	case map[string]any:
		var parts []string
		for k, e := range x {
			parts = append(parts, k+":"+toString(e))
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}
