package probe

import (
	"encoding/json"
	"time"
)

// Result is what one probe of one kite found.
type Result struct {
	// Kite is the kite name.
	Kite string `json:"kite"`
	// Verdict is what the probe concluded.
	Verdict Verdict `json:"verdict"`
	// Detail is a short human reason, e.g. "relay 127.0.0.1:29080:
	// X-PageKite-Status: Down-FE". It never holds a secret.
	Detail string `json:"detail"`
	// Duration is how long the probe took; JSON carries it as duration_ms.
	Duration time.Duration `json:"-"`
	// Relay is the dialled address ("host:port").
	Relay string `json:"relay,omitempty"`
	// Status is the HTTP status of the answer the verdict rests on, 0 if none.
	Status int `json:"status,omitempty"`
	// Start is when the probe started.
	Start time.Time `json:"start"`
}

// resultJSON is Result's JSON form: its fields plus duration_ms.
type resultJSON struct {
	plainResult
	DurationMS int64 `json:"duration_ms"`
}

// plainResult is Result without its methods, so that encoding it does not
// recurse into MarshalJSON.
type plainResult Result

// MarshalJSON encodes r with its Duration as whole milliseconds,
// "duration_ms".
func (r Result) MarshalJSON() ([]byte, error) {
	return json.Marshal(resultJSON{plainResult: plainResult(r), DurationMS: r.Duration.Milliseconds()})
}

// UnmarshalJSON decodes what MarshalJSON encodes.
func (r *Result) UnmarshalJSON(b []byte) error {
	var j resultJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Result(j.plainResult)
	r.Duration = time.Duration(j.DurationMS) * time.Millisecond
	return nil
}
