// Package observability holds the daemon's logger construction and its HTTP
// endpoint for metrics and health.
package observability
