// Package loadgen drives a Herald daemon, started as a separate process,
// with thousands of raw Nacos 2.x gRPC connections from one process, and
// measures it: server memory per idle subscribed connection, change-to-ack
// latency and pushes per second for many subscribers of one service, and
// register throughput.
//
// Herald runs as a child process so that its memory (VmRSS) is its own.
// Each scenario starts a fresh Herald on free loopback ports, runs bounded
// in count and time, and stops it with SIGTERM whatever happens. Run ties
// the pieces together and returns a Report; the loadgen command prints it.
package loadgen
