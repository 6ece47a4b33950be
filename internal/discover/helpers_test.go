package discover

import (
	"testing"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

// writeConfig writes text to a config file in a temp dir and returns its path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	return pktest.WriteFile(t, t.TempDir(), "pkwatchdogd.toml", text)
}

func writeRC(t *testing.T, dir, name, text string) {
	t.Helper()
	pktest.WriteFile(t, dir, name, text)
}
