package probe

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		file       string
		want       Verdict
		needsRelay bool
		detailHas  string
	}{
		// Recorded from Debian's 1.5.2 relay and kites on loopback.
		{"fe-probejson.http", KiteDown, true, "Down-FE"},
		{"fe-page.http", KiteDown, false, "Sorry! (fe)"},
		{"fe-frame.http", KiteDown, false, "where=FE"},
		{"be-page.http", BackendDown, false, "Sorry! (be)"},
		{"be-probejson.http", BackendDown, false, "Sorry! (be)"},
		{"origin-404.http", Flying, true, "origin answered 404"},
		// Written after the pagekite.py and libpagekite page templates.
		{"be-frame-pagekitenet.http", BackendDown, false, "where=BE"},
		{"be-libpagekite.http", BackendDown, false, "where=BE"},
		{"fe-whitelabel.http", KiteDown, false, "where=FE"},
		{"fe-frame-noheader.http", KiteDown, true, "where=FE"},
		{"forbidden-fe.http", Unrecognized, false, "403"},
		{"status-down-be.http", BackendDown, false, "Down-BE"},
		{"status-ok.http", Flying, true, "OK"},
		// Other servers' answers.
		{"origin-200.http", Flying, true, "origin answered 200"},
		{"origin-403.http", Flying, true, "origin answered 403"},
		{"origin-redirect.http", Flying, true, "origin answered 302"},
		{"captive-portal.http", Flying, true, "origin answered 200"},
		{"proxy-502.http", Flying, true, "origin answered 502"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := Classify(readAnswer(t, tt.file))
			if got.Verdict != tt.want || got.NeedsRelayCheck != tt.needsRelay {
				t.Errorf("Classify(%s) = %s (needs relay check %v), want %s (%v); detail %q",
					tt.file, got.Verdict, got.NeedsRelayCheck, tt.want, tt.needsRelay, got.Detail)
			}
			if !strings.Contains(got.Detail, tt.detailHas) {
				t.Errorf("Classify(%s).Detail = %q, want it to contain %q", tt.file, got.Detail, tt.detailHas)
			}
		})
	}
}

func TestClassifyEdges(t *testing.T) {
	tests := []struct {
		name string
		a    Answer
		want Verdict
	}{
		{"nil header, empty body", Answer{Status: 200}, Flying},
		{"Sorry (fe) with 200 is the origin's page", Answer{Status: 200, Body: []byte("<h1>Sorry! (fe)</h1>")}, Flying},
		{"both fe and be markers", Answer{Status: 503, Body: []byte("Sorry! (fe) where=BE ?where=BE")}, Unrecognized},
		{"lower-case status header", Answer{Status: 200, Header: http.Header{"X-Pagekite-Status": {"down-fe"}}}, KiteDown},
		{"unknown status header", Answer{Status: 200, Header: http.Header{"X-Pagekite-Status": {"Weird"}}}, Flying},
		{"403 without markers is the origin's", Answer{Status: 403, Body: []byte("go away")}, Flying},
		{"403 with UUID is the relay's", Answer{Status: 403, Header: http.Header{"X-Pagekite-Uuid": {testUUID}}}, Unrecognized},
		{"where=FEATURE is not where=FE", Answer{Status: 503, Body: []byte("/?where=FEATURE")}, Flying},
		{"marker past MaxBody is ignored", Answer{Status: 503, Body: append(bytes.Repeat([]byte("x"), MaxBody), "Sorry! (fe)"...)}, Flying},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.a); got.Verdict != tt.want {
				t.Errorf("Classify(%s) = %s (%q), want %s", tt.name, got.Verdict, got.Detail, tt.want)
			}
		})
	}
}

// hasMarkers reports whether an answer carries anything that may make it a
// PageKite offline answer.
func hasMarkers(a Answer) bool {
	if a.Header.Get(headerStatus) != "" {
		return true
	}
	low := bytes.ToLower(a.Body)
	return bytes.Contains(low, []byte("sorry! (fe")) || bytes.Contains(low, []byte("where=fe"))
}

func FuzzClassify(f *testing.F) {
	for _, name := range []string{"fe-page.http", "fe-frame.http", "fe-probejson.http", "be-libpagekite.http", "captive-portal.http", "forbidden-fe.http"} {
		a := readAnswer(f, name)
		f.Add(a.Status, a.Header.Get(headerStatus), a.Header.Get(headerUUID) != "", a.Body)
	}
	f.Fuzz(func(t *testing.T, status int, pkStatus string, uuid bool, body []byte) {
		h := http.Header{}
		if pkStatus != "" {
			h.Set(headerStatus, pkStatus)
		}
		if uuid {
			h.Set(headerUUID, testUUID)
		}
		a := Answer{Status: status, Header: h, Body: body}
		got := Classify(a) // must not panic
		if !got.Verdict.Valid() {
			t.Fatalf("Classify(%d, %q, %q) = %q, want a valid verdict", status, pkStatus, body, got.Verdict)
		}
		if got.Verdict == KiteDown && !hasMarkers(a) {
			t.Fatalf("Classify(%d, %q, %q) = kite-down for an answer with no PageKite markers", status, pkStatus, body)
		}
		if got.Verdict == KiteDown && !uuid && !got.NeedsRelayCheck {
			t.Fatalf("Classify(%d, %q, %q) = kite-down without a relay check and no UUID", status, pkStatus, body)
		}
	})
}
