package probe

import (
	"bytes"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// MaxBody is how much of an answer's body a probe reads and Classify looks
// at.
const MaxBody = 64 << 10

// Answer is a recorded HTTP answer for a kite: status, headers and at most
// MaxBody bytes of the body.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// Classification is what Classify makes of an Answer.
type Classification struct {
	// Verdict is the verdict the answer supports on its own.
	Verdict Verdict
	// Detail is a short reason, e.g. "X-PageKite-Status: Down-FE".
	Detail string
	// NeedsRelayCheck: the verdict holds only if the dialled address is a
	// genuine PageKite relay, which the answer itself does not show (no
	// X-PageKite-UUID header). If it is not, the verdict is Unrecognized.
	NeedsRelayCheck bool
}

// HTTP header names PageKite relays use.
const (
	headerStatus = "X-PageKite-Status"
	headerUUID   = "X-PageKite-UUID"
)

// whereRe finds the where=FE / where=BE parameter of an offline page's
// frame URL (pagekite.net's or a white-label errorurl), after ?, & or
// &amp;.
var whereRe = regexp.MustCompile(`(?i)[?&;]where=(fe|be)\b`)

// Classify sorts one answer for a kite. It is pure: no I/O, no clock.
//
//   - X-PageKite-Status: Down-FE → KiteDown; Down-BE → BackendDown;
//     OK → Flying.
//   - 403 carrying PageKite markers (an offline page, where=FE, an
//     X-PageKite-UUID header) → Unrecognized: the relay refused us.
//   - 5xx with an offline page for the front end ("Sorry! (fe", where=FE) →
//     KiteDown; for the back end ("Sorry! (be", where=BE, libpagekite's
//     "Sorry! (be/...)") → BackendDown; both → Unrecognized.
//   - Anything else is the origin's answer, passed through → Flying.
//
// KiteDown and Flying need a relay check unless the answer carries
// X-PageKite-UUID (see Classification.NeedsRelayCheck).
func Classify(a Answer) Classification {
	h := a.Header
	if h == nil {
		h = http.Header{}
	}
	body := a.Body
	if len(body) > MaxBody {
		body = body[:MaxBody]
	}
	genuine := h.Get(headerUUID) != ""

	switch st := strings.TrimSpace(h.Get(headerStatus)); {
	case strings.EqualFold(st, "Down-FE"):
		return Classification{KiteDown, headerStatus + ": Down-FE", !genuine}
	case strings.EqualFold(st, "Down-BE"):
		return Classification{BackendDown, headerStatus + ": Down-BE", false}
	case strings.EqualFold(st, "OK"):
		return Classification{Flying, headerStatus + ": OK", !genuine}
	}

	fe, be := offlineMarkers(body)
	if a.Status == http.StatusForbidden && (fe != "" || be != "" || genuine) {
		why := "X-PageKite-UUID"
		if fe != "" {
			why = fe
		} else if be != "" {
			why = be
		}
		return Classification{Unrecognized, fmt.Sprintf("relay refused the request: 403 with %s", why), false}
	}
	if a.Status >= 500 && a.Status <= 599 {
		switch {
		case fe != "" && be != "":
			return Classification{Unrecognized, fmt.Sprintf("%d offline page with both %s and %s", a.Status, fe, be), false}
		case fe != "":
			return Classification{KiteDown, fmt.Sprintf("%d offline page: %s", a.Status, fe), !genuine}
		case be != "":
			return Classification{BackendDown, fmt.Sprintf("%d offline page: %s", a.Status, be), false}
		}
	}
	return Classification{Flying, fmt.Sprintf("origin answered %d", a.Status), true}
}

// offlineMarkers returns the front-end and back-end markers of a PageKite
// offline page found in body ("" when absent).
func offlineMarkers(body []byte) (fe, be string) {
	lower := bytes.ToLower(body)
	if bytes.Contains(lower, []byte("sorry! (fe")) {
		fe = "Sorry! (fe)"
	}
	if bytes.Contains(lower, []byte("sorry! (be")) {
		be = "Sorry! (be)"
	}
	for _, m := range whereRe.FindAllSubmatch(body, -1) {
		switch strings.ToLower(string(m[1])) {
		case "fe":
			fe = "where=FE"
		case "be":
			be = "where=BE"
		}
	}
	return fe, be
}
