package redact

import (
	"errors"
	"fmt"
	"regexp"
)

// CompileExtra compiles the user's extra redaction patterns (Go regexp
// syntax). It reports every bad pattern at once, each with its index and
// text; an empty pattern is bad too, as it would match everywhere.
func CompileExtra(patterns []string) ([]*regexp.Regexp, error) {
	var (
		res  []*regexp.Regexp
		errs []error
	)
	for i, p := range patterns {
		if p == "" {
			errs = append(errs, fmt.Errorf("redact pattern %d: empty", i))
			continue
		}
		re, err := regexp.Compile(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("redact pattern %d %q: %w", i, p, err))
			continue
		}
		if re.MatchString("") {
			errs = append(errs, fmt.Errorf("redact pattern %d %q: matches the empty string", i, p))
			continue
		}
		res = append(res, re)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return res, nil
}
