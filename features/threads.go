package features

/*
#cgo !windows pkg-config: opencv4
#cgo CXXFLAGS: --std=c++11
#include "threads.h"
*/
import "C"

// SetThreads sets the size of OpenCV's thread pool, which DNN forward
// passes and image operations share, for the whole process. n <= 0 keeps
// OpenCV's default (one thread per core).
func SetThreads(n int) {
	if n > 0 {
		C.activityd_set_num_threads(C.int(n))
	}
}

// Threads returns the size of OpenCV's thread pool.
func Threads() int { return int(C.activityd_get_num_threads()) }
