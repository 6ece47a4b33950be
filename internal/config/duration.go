package config

import (
	"fmt"
	"time"
)

// Duration is a time.Duration written in TOML as a string such as "60s",
// "5m" or "168h" (time.ParseDuration syntax).
type Duration struct {
	time.Duration
}

// D returns a Duration of d.
func D(d time.Duration) Duration { return Duration{d} }

// UnmarshalText parses text with time.ParseDuration.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := time.ParseDuration(string(text))
	if err != nil {
		return fmt.Errorf("want a duration such as \"90s\", \"5m\" or \"168h\": %w", err)
	}
	d.Duration = v
	return nil
}

// MarshalText returns the duration in time.Duration.String form.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(d.Duration.String()), nil
}
