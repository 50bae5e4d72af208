// Package publisher is activityd's NATS side: the connection (several
// servers, token, user/password, NKey, credentials file, TLS; reconnects
// forever; a refused authentication is logged once and retried), frame and
// source-state messages on core NATS, events and clips written ahead to a
// bounded on-disk outbox and sent from it in order to the JetStream stream
// with Nats-Msg-Id dedupe, the KV bucket of each stream's current state, the
// request-reply control service, and the embedded nats-server the daemon
// runs when no server is configured. docs/nats-api.md is the contract.
package publisher
