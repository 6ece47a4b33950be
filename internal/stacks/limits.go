package stacks

// Bounds on what is read, whatever the process or a tool writes.
const (
	// MaxThreads is the most threads kept per source (faulthandler itself
	// stops at 100).
	MaxThreads = 256
	// MaxFrames is the most frames kept per thread (faulthandler stops
	// at 100).
	MaxFrames = 64
	// maxLine is the longest line parsed; longer ones are skipped.
	maxLine = 4096
	// maxName bounds a symbol, function or file name kept.
	maxName = 256
)
