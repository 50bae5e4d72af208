#!/usr/bin/python3
"""The peer a user would write: decode a video with Debian's python3-opencv
and run every frame through the same ONNX backbone with cv2.dnn. Prints
one JSON line: frames, seconds (decode + preprocess + forward, after the
model is loaded) and frames per second.

usage: bench_cv2.py MODEL.onnx VIDEO OUTPUT_NAME [WIDTH HEIGHT]
"""
import json
import sys
import time

import cv2


def main():
    model, video, output = sys.argv[1:4]
    w, h = (int(sys.argv[4]), int(sys.argv[5])) if len(sys.argv) > 5 else (224, 224)
    net = cv2.dnn.readNetFromONNX(model)
    cap = cv2.VideoCapture(video)
    frames = 0
    start = time.perf_counter()
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        blob = cv2.dnn.blobFromImage(frame, 1.0 / 255, (w, h), swapRB=True)
        net.setInput(blob)
        net.forward(output)
        frames += 1
    secs = time.perf_counter() - start
    print(json.dumps({"frames": frames, "seconds": secs, "fps": frames / secs}))


if __name__ == "__main__":
    main()
