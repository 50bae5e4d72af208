#include <vector>
#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>
#include "capture.h"

extern "C" {

IngestCapture ingest_open(const char* name, int index, int api, int open_ms, int read_ms) {
    cv::VideoCapture* cap = nullptr;
    try {
        cap = new cv::VideoCapture();
        std::vector<int> params;
        if (api == cv::CAP_FFMPEG) {
            if (open_ms > 0) {
                params.push_back(cv::CAP_PROP_OPEN_TIMEOUT_MSEC);
                params.push_back(open_ms);
            }
            if (read_ms > 0) {
                params.push_back(cv::CAP_PROP_READ_TIMEOUT_MSEC);
                params.push_back(read_ms);
            }
        }
        bool ok = index >= 0 ? cap->open(index, api, params) : cap->open(name, api, params);
        if (ok && cap->isOpened()) {
            return cap;
        }
    } catch (...) {
    }
    delete cap;
    return nullptr;
}

int ingest_grab(IngestCapture c) {
    try {
        return static_cast<cv::VideoCapture*>(c)->grab() ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

int ingest_retrieve(IngestCapture c, void* mat) {
    try {
        cv::Mat* m = static_cast<cv::Mat*>(mat);
        return static_cast<cv::VideoCapture*>(c)->retrieve(*m) && !m->empty() ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

double ingest_get(IngestCapture c, int prop) {
    try {
        return static_cast<cv::VideoCapture*>(c)->get(prop);
    } catch (...) {
        return 0;
    }
}

int ingest_set(IngestCapture c, int prop, double value) {
    try {
        return static_cast<cv::VideoCapture*>(c)->set(prop, value) ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

void ingest_release(IngestCapture c) {
    try {
        delete static_cast<cv::VideoCapture*>(c);
    } catch (...) {
    }
}

}
