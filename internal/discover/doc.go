// Package discover finds the kites of the PageKite instances no [[kite]]
// entry names: pagekite.py's rc files in the instance's rc_dir, the
// command line of the running pagekitec, or OpenWrt's UCI file; and the
// secrets of all of them, for the redactor. What it reads of the machine
// besides files (the /proc scan for pagekitec, PATH) comes in through Env,
// so that tests give their own; config stays TOML, defaults and
// validation.
package discover
