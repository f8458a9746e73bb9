#!/usr/bin/env bash
# Installs the Debian tools the tests use when they are missing: ffmpeg (reference decoder;
# its package also brings the shared FFmpeg libraries libavcodec/libavformat/libavutil/
# libswscale/... that torchcodec, the default video backend, loads at run time) and chromium
# (headless check that the HTML inference report loads without errors). Without them
# sgfb.data.video falls back to PyAV, which bundles its own FFmpeg.
# Without root or apt the tests that need them skip with a reason instead.
set -u
missing=()
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "sysdeps: ${missing[*]} missing and cannot be installed here (need root + apt-get); dependent tests will skip" >&2
    exit 0
fi
echo "sysdeps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || echo "sysdeps: apt-get install ${missing[*]} failed; dependent tests will skip" >&2
exit 0
