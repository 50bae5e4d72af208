// OpenCV's thread pool size, which gocv v0.31 does not expose.
#include <opencv2/core.hpp>
#include "threads.h"

void activityd_set_num_threads(int n) { cv::setNumThreads(n); }
int activityd_get_num_threads(void) { return cv::getNumThreads(); }
