package probe

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestResultJSON(t *testing.T) {
	r := Result{
		Kite: "foo.kite.test", Verdict: KiteDown, Detail: "relay 127.0.0.1:1: X-PageKite-Status: Down-FE",
		Duration: 1234567 * time.Microsecond, Relay: "127.0.0.1:1", Status: 200,
		Start: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC),
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"kite":"foo.kite.test"`, `"verdict":"kite-down"`, `"duration_ms":1234`, `"relay":"127.0.0.1:1"`, `"status":200`, `"start":"2026-11-24T10:00:00Z"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("json.Marshal(Result) = %s, want it to contain %s", b, want)
		}
	}
	if strings.Contains(string(b), "Duration") {
		t.Errorf("json.Marshal(Result) = %s, want no Duration field", b)
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	want := r
	want.Duration = 1234 * time.Millisecond
	if back != want {
		t.Errorf("json round trip = %+v, want %+v", back, want)
	}
	// Inside a slice and by pointer, as callers use it.
	if b2, _ := json.Marshal([]*Result{&r}); !strings.Contains(string(b2), `"duration_ms":1234`) {
		t.Errorf("json.Marshal([]*Result) = %s, want duration_ms", b2)
	}
}
