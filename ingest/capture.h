// capture.h: a thin C interface to cv::VideoCapture for ingest. Every call
// catches C++ exceptions, so a bad stream yields an error, never an abort.
#ifndef INGEST_CAPTURE_H
#define INGEST_CAPTURE_H

#ifdef __cplusplus
extern "C" {
#endif

typedef void* IngestCapture;

// ingest_open opens name (a path, URL or pipeline) with the given OpenCV
// backend, or camera index when index >= 0. open_ms and read_ms, when
// positive, become CAP_PROP_OPEN_TIMEOUT_MSEC and CAP_PROP_READ_TIMEOUT_MSEC
// (FFmpeg backend only). It returns NULL on failure.
IngestCapture ingest_open(const char* name, int index, int api, int open_ms, int read_ms);
// ingest_grab decodes the next frame without converting it: 1, or 0 at the
// end or on error.
int ingest_grab(IngestCapture c);
// ingest_retrieve converts the grabbed frame into mat (a cv::Mat*): 1 or 0.
int ingest_retrieve(IngestCapture c, void* mat);
double ingest_get(IngestCapture c, int prop);
int ingest_set(IngestCapture c, int prop, double value);
void ingest_release(IngestCapture c);

#ifdef __cplusplus
}
#endif

#endif
