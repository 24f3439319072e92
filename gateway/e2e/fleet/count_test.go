//go:build !race

package fleet

// clientCount is the fleet test's client count: 300 as the issue asks.
// Under the race detector every part runs several times slower and 300
// clients (each with its own HTTP/2 connection, redone at every move)
// overrun the edges' 3 s upstream request timeout on a 2-core machine, so
// the race build runs the same scenario with fewer clients
// (count_race_test.go); .ci/test runs this package without -race too.
const clientCount = 300
