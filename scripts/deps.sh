#!/usr/bin/env bash
# Installs the Debian packages activityd needs to build, test and run, when
# they are missing. Quiet when everything is there. As non-root it prints the
# exact apt-get line and fails instead.
set -euo pipefail

# Build: a C++ compiler and OpenCV for gocv's cgo. Run and test: ffmpeg.
# Models: Node.js's npm packs the backbone and runtime packages.
# Parity tests of the recurrent step: ONNX's operator test vectors
# (libonnx-testdata) and PyTorch for Debian's /usr/bin/python3
# (python3-torch, about 30 s to install here).
packages=(g++ pkg-config libopencv-dev ffmpeg npm libonnx-testdata python3-torch ${ACTIVITYD_EXTRA_PACKAGES:-})

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		# npm may come with a Node.js that is not from Debian.
		if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "activityd needs these Debian packages: ${missing[*]}" >&2
	echo "run as root:  apt-get update && $line" >&2
	exit 1
fi
echo "installing ${missing[*]} (apt-get, a few minutes the first time)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
