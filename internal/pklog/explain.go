package pklog

import (
	"context"
	"fmt"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/probe"
)

// Explain returns res, made probe.Rejected when res is a kite-down and
// src shows at now that the relay rejected the kite; the rejection is
// returned with it (ok false when there is none). Any other result is
// returned as it is, without reading the log. err says why the log could
// not be read (res is then unchanged).
func Explain(ctx context.Context, src *Source, res probe.Result, now time.Time) (out probe.Result, r Rejection, ok bool, err error) {
	if res.Verdict != probe.KiteDown || src == nil {
		return res, Rejection{}, false, nil
	}
	r, ok, err = src.Rejection(ctx, res.Kite, now)
	if !ok {
		return res, Rejection{}, false, err
	}
	res.Verdict = probe.Rejected
	res.Detail = fmt.Sprintf("%s; %s says the relay rejected the kite (%s)", res.Detail, r.Source, r.Describe())
	return res, r, true, nil
}

// Describe is a short text for r: its reason, relay and time.
func (r Rejection) Describe() string {
	s := "reason=" + r.Reason
	if r.Relay != "" {
		s += ", relay " + r.Relay
	}
	if !r.At.IsZero() {
		s += ", at " + r.At.UTC().Format(time.RFC3339)
	}
	return s
}
