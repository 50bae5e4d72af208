// Package pipeline runs each configured stream: its source captures and
// samples frames, and its worker turns them into features, steps the
// stream's recurrent state and publishes the labels.
package pipeline
