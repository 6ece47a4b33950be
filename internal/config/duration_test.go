package config

import (
	"testing"
	"time"
)

func TestDurationUnmarshalText(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{in: "60s", want: 60 * time.Second},
		{in: "5m", want: 5 * time.Minute},
		{in: "168h", want: 168 * time.Hour},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "250ms", want: 250 * time.Millisecond},
		{in: "0", want: 0},
		{in: "-5s", want: -5 * time.Second}, // parses; validation rejects it where it matters
		{in: "", wantErr: true},
		{in: "60", wantErr: true},
		{in: "5 m", wantErr: true},
		{in: "1d", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var d Duration
			err := d.UnmarshalText([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("UnmarshalText(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if !tt.wantErr && d.Duration != tt.want {
				t.Errorf("UnmarshalText(%q) = %v, want %v", tt.in, d.Duration, tt.want)
			}
		})
	}
}

func TestDurationMarshalTextRoundTrip(t *testing.T) {
	for _, d := range []time.Duration{0, time.Second, 90 * time.Minute, 168 * time.Hour} {
		text, err := D(d).MarshalText()
		if err != nil {
			t.Fatalf("MarshalText(%v) error = %v", d, err)
		}
		var back Duration
		if err := back.UnmarshalText(text); err != nil || back.Duration != d {
			t.Errorf("UnmarshalText(MarshalText(%v) = %q) = %v, %v; want %v", d, text, back.Duration, err, d)
		}
	}
}
