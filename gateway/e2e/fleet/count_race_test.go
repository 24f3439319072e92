//go:build race

package fleet

// clientCount under the race detector (see count_test.go).
const clientCount = 60
