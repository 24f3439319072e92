package conf

import (
	"strings"
	"time"
)

// validateHTTP checks the http section (the Nacos 1.x API).
func (c *Config) validateHTTP(add func(error)) {
	h := c.HTTP
	add(intRange("http.maxBodyBytes", h.MaxBodyBytes, minMaxMessageBytes, maxMaxMessageBytes))
	add(minDuration("http.udpExpiry", h.UDPExpiry, time.Second))
	add(intRange("http.udpMaxSubscribers", h.UDPMaxSubscribers, 1, maxUDPMaxSubs))
	add(minDuration("http.beatInterval", h.BeatInterval, minBeatInterval))
	add(minDuration("http.beatTimeout", h.BeatTimeout, minBeatTiming))
	add(minDuration("http.beatDeleteTimeout", h.BeatDeleteTimeout, h.BeatTimeout))
	add(minDuration("http.beatCheckInterval", h.BeatCheckInterval, minBeatTiming))
	add(minDuration("http.tokenTtl", h.TokenTTL, minTokenTTL))
	for i, u := range h.Users {
		name, pass, ok := strings.Cut(u, ":")
		if !ok || name == "" || pass == "" {
			add(fieldErrorf("http.users", "entry %d must be username:password with both non-empty", i))
		}
	}
}
