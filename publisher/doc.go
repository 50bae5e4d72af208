// Package publisher sends labels, events and source states over NATS, and
// can run the embedded nats-server the daemon uses when no server is
// configured.
package publisher
