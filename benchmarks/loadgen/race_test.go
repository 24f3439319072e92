//go:build race

package loadgen

// raceBuild: the test binary runs under the race detector, so Herald is
// built with it too, reusing the packages `go test -race` compiled.
const raceBuild = true
