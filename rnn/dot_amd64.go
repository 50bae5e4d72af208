package rnn

import "golang.org/x/sys/cpu"

// hasFMA is fixed at start-up: the AVX2+FMA kernel needs both.
var hasFMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// dotAVX2 returns sum(a[i]*b[i]) for i < n using AVX2 and FMA.
//
//go:noescape
func dotAVX2(a, b *float32, n int) float32

// dot returns the dot product of a and b[:len(a)].
func dot(a, b []float32) float32 {
	if len(a) == 0 {
		return 0
	}
	if hasFMA {
		_ = b[len(a)-1]
		return dotAVX2(&a[0], &b[0], len(a))
	}
	return dotGeneric(a, b)
}
