#!/usr/bin/env bash
# Install llama-cpp-python from a wheel compiled with the given CMake flags, never from a wheel
# built with other flags.
#
#   scripts/llama_wheel.sh PIP VERSION "CMAKE ARGS"
#   NEWSQA_WHEEL_INSTALL=0 scripts/llama_wheel.sh ...   # build (or find) only; print the wheel's path
#
# pip keys its wheel cache by the source archive, not by CMAKE_ARGS, so a wheel compiled earlier
# with `-march=native` (or on another CPU) would be reused silently. This script keeps its own
# wheel folder per (version, flags) pair, builds into it with pip's cache off, and installs that
# exact file. A second machine or a fresh clone with the same flags reuses the wheel at no cost.
set -euo pipefail
pip=$1 version=$2
flags=$(echo $3)  # one space between flags: the same flags give the same key
cache=${NEWSQA_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/newsqa/wheels}
key=$(printf '%s\n%s\n' "$version" "$flags" | sha256sum | cut -c1-16)
dir=$cache/llama-cpp-python-$version-$key
wheel=$(ls "$dir"/llama_cpp_python-"$version"-*.whl 2>/dev/null | head -n1 || true)
if [ -z "$wheel" ]; then
    echo "compiling llama-cpp-python $version with: $flags (about 5 minutes on 2 cores, once)"
    tmp=$(mktemp -d "$cache.tmp.XXXXXX" 2>/dev/null || { mkdir -p "$cache" && mktemp -d "$cache.tmp.XXXXXX"; })
    trap 'rm -rf "$tmp"' EXIT
    start=$(date +%s)
    CMAKE_ARGS="$flags" "$pip" wheel --quiet --no-deps --no-cache-dir --no-binary llama-cpp-python \
        "llama-cpp-python==$version" -w "$tmp"
    printf '%s\n' "$flags" > "$tmp/CMAKE_ARGS"
    echo "$(( $(date +%s) - start ))" > "$tmp/BUILD_SECONDS"
    mkdir -p "$cache"
    rm -rf "$dir"
    mv "$tmp" "$dir"   # a build killed half-way leaves no wheel behind to be trusted
    trap - EXIT
    wheel=$(ls "$dir"/llama_cpp_python-"$version"-*.whl | head -n1)
    echo "built $wheel in $(cat "$dir/BUILD_SECONDS") s"
fi
if [ "${NEWSQA_WHEEL_INSTALL:-1}" = 0 ]; then
    echo "$wheel"
    exit 0
fi
"$pip" install --quiet --force-reinstall --no-deps "$wheel"
