// Package pkconfig reads pagekite.py's rc files (Debian: /etc/pagekite.d/*.rc)
// the way pagekite.py itself reads them, to learn which kites this host flies,
// which relays (front-ends) and error pages it uses, and which secrets appear
// in its configuration (for the crash-report redactor).
//
// The parser follows pagekite.py 1.5.2's ConfigureFromFile, Configure and
// ArgToBackendSpecs: one option per line without its leading "--", "#"
// comments, a line starting with END ends the file, spaces around "=" and ":"
// are ignored, and "@kitename"/"@kitesecret" in service_on lines are replaced
// by the values set by earlier lines.
//
// Secrets are collected in Config.Secrets and never appear in errors.
package pkconfig
