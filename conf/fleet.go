package conf

import "time"

// FleetConfig configures how this gateway behaves as one of a fleet:
// drains before a restart, registration grace, shedding for rebalance and
// the fleet view it publishes to Redis (README "The gateway fleet").
type FleetConfig struct {
	// DrainWindow spreads a drain's ConnectResetRequests over this long,
	// so the rest of the fleet is not hit by every reconnect at once.
	// Default 30s; 0 sends them all at once; at most 10m.
	DrainWindow time.Duration `yaml:"drainWindow" help:"spread a drain's ConnectResetRequests over this long"`
	// ResetTimeout closes a connection still open this long after it was
	// told to move. Default 10s; must be within 100ms..5m.
	ResetTimeout time.Duration `yaml:"resetTimeout" help:"close a connection still open this long after its ConnectResetRequest"`
	// RegistrationGrace keeps the ephemeral instances of a connection told
	// to move registered upstream this long after the connection ends,
	// releasing each as soon as the upstream shows it registered again by
	// another owner. Applies with upstream.kind nacos (an embedded
	// registry ends with its gateway). Default 30s; 0 releases at once;
	// at most 10m.
	RegistrationGrace time.Duration `yaml:"registrationGrace" help:"keep a moved client's instances registered this long (upstream kind nacos)"`
	// MaxMoving bounds the clients a drain or shed has moving at once: a
	// move counts from its ConnectResetRequest until the client has left
	// and registered again elsewhere (at most ResetTimeout +
	// RegistrationGrace), and the next
	// client is told only when there is room, so the moves go no faster
	// than the rest of the fleet takes them. It binds only when moves are
	// slow (200 moves of 0.6 s each already go at the 333/s a 30 s window
	// asks of 10,000 connections), and then trades drain time for moves
	// that finish well within the grace (benchmarks/RESULTS.md, "Issue 16").
	// Default 200; 0: unbounded; at most 100000.
	MaxMoving int `yaml:"maxMoving" help:"clients a drain or shed has moving at once (0 = unbounded)"`
	// DrainTimeout bounds how long a drain waits for room among the moves
	// under way (MaxMoving): past it, the clients left are told at once.
	// Default 2m; must be within 1s..30m.
	DrainTimeout time.Duration `yaml:"drainTimeout" help:"past this, a drain tells the clients left at once"`
	// ShedWindow spreads a shed's ConnectResetRequests over this long when
	// the request names no window. Default 30s; at most 10m.
	ShedWindow time.Duration `yaml:"shedWindow" help:"default spread of a shed's ConnectResetRequests"`
	// ViewInterval is how often this gateway publishes its fleet view
	// entry to Redis (tracker.redis); the entry lives for three intervals.
	// Default 5s; must be within 100ms..1m.
	ViewInterval time.Duration `yaml:"viewInterval" help:"publish this gateway's fleet view entry this often (Redis)"`
	// AutoShed makes a gateway holding more than its fair share of the
	// fleet's gRPC connections (from the fleet view) shed the excess by
	// itself, a little at every view interval. Default false.
	AutoShed bool `yaml:"autoShed" help:"shed connections beyond this gateway's fair share of the fleet"`
}

const (
	defaultDrainWindow       = 30 * time.Second
	defaultResetTimeout      = 10 * time.Second
	defaultRegistrationGrace = 30 * time.Second
	defaultViewInterval      = 5 * time.Second
	defaultMaxMoving         = 200
	defaultDrainTimeout      = 2 * time.Minute
	maxFleetWindow           = 10 * time.Minute
)

func defaultFleet() FleetConfig {
	return FleetConfig{
		DrainWindow: defaultDrainWindow, ResetTimeout: defaultResetTimeout,
		RegistrationGrace: defaultRegistrationGrace, ShedWindow: defaultDrainWindow,
		ViewInterval: defaultViewInterval, MaxMoving: defaultMaxMoving, DrainTimeout: defaultDrainTimeout,
	}
}

// validateFleet checks the fleet section; errors name the field.
func (c *Config) validateFleet(add func(error)) {
	f := c.Fleet
	window := func(field string, v, lo, hi time.Duration) {
		if v < lo || v > hi {
			add(fieldErrorf(field, "must be between %s and %s, got %s", lo, hi, v))
		}
	}
	window("fleet.drainWindow", f.DrainWindow, 0, maxFleetWindow)
	window("fleet.resetTimeout", f.ResetTimeout, 100*time.Millisecond, 5*time.Minute)
	window("fleet.registrationGrace", f.RegistrationGrace, 0, maxFleetWindow)
	window("fleet.shedWindow", f.ShedWindow, 0, maxFleetWindow)
	window("fleet.viewInterval", f.ViewInterval, 100*time.Millisecond, time.Minute)
	window("fleet.drainTimeout", f.DrainTimeout, time.Second, 30*time.Minute)
	if f.MaxMoving < 0 || f.MaxMoving > 100000 {
		add(fieldErrorf("fleet.maxMoving", "must be between 0 and 100000, got %d", f.MaxMoving))
	}
}
