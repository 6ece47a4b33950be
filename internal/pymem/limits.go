package pymem

import "time"

// Bounds on a read, whatever the process holds.
const (
	// MaxThreads is the most thread states read.
	MaxThreads = 256
	// MaxFrames is the most frames kept per thread, the innermost ones;
	// the rest are counted (Thread.Omitted) up to maxFrameWalk.
	MaxFrames = 64
	// maxFrameWalk bounds the frames followed per thread, kept or counted.
	maxFrameWalk = 4096
	// maxString bounds a file or function name, in characters.
	maxString = 1024
	// maxLineTable bounds a code object's line table, in bytes.
	maxLineTable = 1 << 20
	// MaxBytes bounds the bytes read from the process in one read.
	MaxBytes = 8 << 20
	// Timeout bounds one read, holding the process included.
	Timeout = 2 * time.Second
	// maxMaps bounds the lines of /proc/PID/maps parsed.
	maxMaps = 1 << 16
)
