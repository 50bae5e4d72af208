//go:build !race

package train

const raceOn = false
