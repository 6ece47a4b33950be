package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
)

// unwrapURL drops the *url.Error layer of an error (building a request
// from a URL that does not parse again): it repeats the URL, which may carry
// a query string the user wants private.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// isTimeout reports whether err is a timeout (deadline exceeded, I/O
// timeout).
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// accessDenied is TLS alert 49, which PageKite relays send for a TLS
// kite whose tunnel is down and for which they hold no certificate.
const accessDenied = tls.AlertError(49)

// isAccessDenied reports whether err is a TLS alert 49 (access denied)
// received from the peer.
func isAccessDenied(err error) bool {
	var ae tls.AlertError
	if errors.As(err, &ae) && ae == accessDenied {
		return true
	}
	// crypto/tls reports remote alerts as *net.OpError{Op: "remote error"}
	// wrapping an unexported alert type with the same text as AlertError.
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "remote error" && oe.Err != nil &&
		oe.Err.Error() == accessDenied.Error()
}

// isTLSFailure reports whether err comes from the TLS layer (handshake,
// certificate, alert).
func isTLSFailure(err error) bool {
	var (
		ae  tls.AlertError
		rhe tls.RecordHeaderError
		cve *tls.CertificateVerificationError
	)
	if errors.As(err, &ae) || errors.As(err, &rhe) || errors.As(err, &cve) {
		return true
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "remote error" {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "tls: ") || strings.Contains(s, "x509: ")
}

// isReset reports whether err is a connection reset by the peer.
func isReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }

// describe is a short text for err, for details.
func describe(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}
