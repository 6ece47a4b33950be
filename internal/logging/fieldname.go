package logging

import "strings"

// maxFieldName is journald's limit on the length of a field name.
const maxFieldName = 64

// reserved reports whether name is a journal field that pkwatchdogd's
// journal core sets itself; a zap field of that name is renamed rather than
// allowed to replace it.
func reserved(name string) bool {
	switch name {
	case "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "SYSLOG_FACILITY", "SYSLOG_PID",
		"SYSLOG_TIMESTAMP", "CODE_FILE", "CODE_LINE", "CODE_FUNC", "LOGGER", "STACK":
		return true
	}
	return false
}

// FieldName turns a zap field key into a valid journal field name: upper
// case, only A-Z, 0-9 and _, no leading underscore (those are journald's
// trusted fields), not starting with a digit, at most 64 characters. Names
// that the journal core sets itself (MESSAGE, PRIORITY, ...) get a ZAP_
// prefix. An empty or all-underscore key becomes FIELD.
func FieldName(key string) string {
	var b strings.Builder
	b.Grow(len(key))
	for _, r := range key {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	name := strings.TrimLeft(b.String(), "_")
	switch {
	case name == "":
		name = "FIELD"
	case name[0] >= '0' && name[0] <= '9':
		name = "F_" + name
	case reserved(name):
		name = "ZAP_" + name
	}
	if len(name) > maxFieldName {
		name = name[:maxFieldName]
	}
	return name
}
