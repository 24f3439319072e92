package conf

import (
	"net/url"
)

// validate checks the trace settings; errors name the field.
func (t TracesConfig) validate() []error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(oneOf("telemetry.traces.protocol", t.Protocol, TraceProtocols))
	add(oneOf("telemetry.traces.sampler", t.Sampler, TraceSamplers))
	if t.Ratio < 0 || t.Ratio > 1 || t.Ratio != t.Ratio {
		add(fieldErrorf("telemetry.traces.ratio", "must be between 0 and 1, got %v", t.Ratio))
	}
	add(minDuration("telemetry.traces.exportInterval", t.ExportInterval, minExportInterval))
	if t.Endpoint != "" {
		add(checkEndpoint(t.Endpoint))
	}
	return errs
}

// checkEndpoint accepts an http:// or https:// URL with a host.
func checkEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fieldErrorf("telemetry.traces.endpoint", "not a URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fieldErrorf("telemetry.traces.endpoint", "must be an http:// or https:// URL with a host, got %q", raw)
	}
	return nil
}
