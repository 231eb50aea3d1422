// Package avro is Strata's stand-in for the one piece of github.com/iskorotkov/avro/v2 that daprd
// references at start-up. It records the limits daprd sets and nothing else: the Pulsar component
// it would protect is not used by Strata, and the Pulsar client linked in decodes with hamba/avro.
package avro

// Config holds the decoding limits daprd configures.
type Config struct {
	MaxSliceAllocSize int
	MaxMapAllocSize   int
}

// API is the frozen form of a Config.
type API struct{ cfg Config }

// Freeze returns the frozen configuration.
func (c Config) Freeze() API { return API{cfg: c} }

// DefaultConfig is assigned by daprd at start-up.
var DefaultConfig API
