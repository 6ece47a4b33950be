package discover

import "errors"

// ErrNotConfigured is returned (wrapped) by Instances when an instance has
// no [[kite]] and pagekite.py's configuration is the stock, unconfigured
// one.
var ErrNotConfigured = errors.New("pagekite is not configured")

// ErrNoKites is returned (wrapped) by Instances when an instance has no
// [[kite]] and discovery found no enabled kite.
var ErrNoKites = errors.New("no kites to watch")
