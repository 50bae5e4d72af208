//go:build race

package train

// raceOn shrinks the slowest checks: the race detector slows Gorgonia's
// graph about twentyfold.
const raceOn = true
