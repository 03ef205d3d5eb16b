package pipeline

import (
	"os"
	"runtime/debug"
)

// softMemoryLimit is the Go heap's soft limit in a tend process, unless
// GOMEMLIMIT sets another. Without one the heap grows to twice what is live
// before the collector runs: measured, `tend up` peaked at 285 MiB RSS
// through 175,844 check-ins (50 clinics × 20 teams × 52 weeks), and at
// 205 MiB with this limit, as fast. It is soft: a live heap above it (a
// huge backlog) is collected more often, never refused.
const softMemoryLimit = 180 << 20

// limitMemory applies softMemoryLimit unless the environment chose one.
func limitMemory() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(softMemoryLimit)
	}
}
