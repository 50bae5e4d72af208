// Package daemon is activityd's lifecycle: it starts the parts in order,
// runs them until the context ends, and stops them in the reverse order
// written down in Run.
package daemon
