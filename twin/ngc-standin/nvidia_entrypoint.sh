#!/bin/bash
# deploy-pod twin: the entry point of the NGC stand-in image (NGC images start through
# /opt/nvidia/nvidia_entrypoint.sh, which prints a banner and runs the command).
cat <<'BANNER'

================
== TensorFlow ==
================

deploy-pod twin stand-in for NVIDIA Release 24.03-tf2: no TensorFlow, no CUDA;
tf_cnn_benchmarks.py trains a small numpy network on the CPU.

BANNER
if [ "$#" -eq 0 ]; then
  exec /bin/bash
fi
exec "$@"
