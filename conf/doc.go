// Package conf is Herald's one typed configuration.
//
// A Config starts from Default, is overlaid by an optional YAML file
// (LoadFile), then by environment variables, then by command-line flags,
// and is finally checked by Validate. Load runs that whole sequence and is
// the daemon's entry point.
//
// Environment variables and flags are derived from the struct by reflection
// over its yaml tags, so a new field gets both for free:
//
//   - the flag name is the field's YAML path: -grpc.addr, -session.idleTimeout;
//   - the environment variable is "HERALD_" followed by the YAML path
//     upper-cased, with "." replaced by "_" and camelCase split into words:
//     grpc.maxMessageBytes is HERALD_GRPC_MAX_MESSAGE_BYTES.
//
// The YAML file itself is named by the -config flag or, failing that, the
// HERALD_CONFIG environment variable. herald.example.yaml in this directory
// documents every field and its default.
//
// Supported field kinds are string, the signed integer kinds, bool,
// time.Duration (written like "20s" or "500ms") and []string (written
// comma-separated in environment variables and flags, as a sequence in
// YAML).
package conf
