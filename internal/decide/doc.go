// Package decide turns a stream's per-frame class probabilities into
// activity events: each class's probability is smoothed over a time
// constant, and events start, update and end by hysteresis thresholds held
// for durations measured in stream time, so that one configuration behaves
// the same at any analysis rate.
package decide
