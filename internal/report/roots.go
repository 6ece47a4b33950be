package report

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/pagekite/pkwatchdogd/internal/safefile"
)

// rootFiles and rootDirs are where Linux distributions and OpenWrt keep
// the system's CA roots (the files and directories crypto/x509 reads, in
// its order).
func rootFiles() []string {
	return []string{
		"/etc/ssl/certs/ca-certificates.crt",                // Debian, Ubuntu, OpenWrt (ca-bundle)
		"/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora, RHEL
		"/etc/ssl/ca-bundle.pem",                            // openSUSE
		"/etc/pki/tls/cacert.pem",                           // OpenELEC
		"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS
		"/etc/ssl/cert.pem",                                 // Alpine
	}
}

func rootDirs() []string { return []string{"/etc/ssl/certs", "/etc/pki/tls/certs"} }

const (
	// maxRootFile bounds one CA file read.
	maxRootFile = 4 << 20
	// maxRootDirFiles bounds the files of a CA directory read.
	maxRootDirFiles = 1024
)

// errNoRoots: no CA certificate was found.
var errNoRoots = errors.New("no CA certificates found (install ca-certificates, or set report.ca_file)")

// loadRoots reads the system's CA roots (SSL_CERT_FILE and SSL_CERT_DIR
// override, as for crypto/x509), plus caFile, into a new pool. Unlike
// x509.SystemCertPool, whose pool Go keeps for the life of the process
// (about 0.5-3 MB), the pool is the caller's to drop: an upload happens
// at most once a week, and pkwatchdogd should not carry the roots between.
func loadRoots(caFile string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	n := 0
	files := rootFiles()
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		files = []string{f}
	}
	for _, f := range files {
		if pem, err := safefile.ReadFile(f, maxRootFile); err == nil && pool.AppendCertsFromPEM(pem) {
			n++
			break
		}
	}
	if n == 0 {
		dirs := rootDirs()
		if d := os.Getenv("SSL_CERT_DIR"); d != "" {
			dirs = filepath.SplitList(d)
		}
		for _, d := range dirs {
			n += appendDir(pool, d)
		}
	}
	if caFile != "" {
		pem, err := safefile.ReadFile(caFile, 1<<20)
		if err != nil {
			return nil, fmt.Errorf("upload ca_file: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("upload ca_file %s: no PEM certificate in it", caFile)
		}
		n++
	}
	if n == 0 {
		return nil, errNoRoots
	}
	return pool, nil
}

// appendDir adds the PEM files of dir to pool (at most maxRootDirFiles)
// and returns how many held a certificate.
func appendDir(pool *x509.CertPool, dir string) int {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for i, e := range entries {
		if i >= maxRootDirFiles {
			break
		}
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") {
			continue
		}
		if pem, err := safefile.ReadFile(filepath.Join(dir, name), maxRootFile); err == nil && pool.AppendCertsFromPEM(pem) {
			n++
		}
	}
	return n
}

// releaseRoots gives the memory of a dropped pool back to the system: the
// roots are a few MB of small objects that would otherwise stay in the
// heap until the next GC cycles, and the pages mapped for them after.
func releaseRoots() { debug.FreeOSMemory() }
