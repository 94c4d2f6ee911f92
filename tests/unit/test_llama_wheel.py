"""scripts/llama_wheel.sh: one wheel per (version, CMake flags); never a wheel built with others.

A stand-in `pip` records its calls and "builds" a wheel file whose contents are the CMAKE_ARGS
it was given, so the test can see which build was installed.
"""
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "llama_wheel.sh"

FAKE_PIP = r"""#!/usr/bin/env bash
echo "$*" >> "$LOG"
if [ "$1" = wheel ]; then
    out=${@: -1}
    echo "$CMAKE_ARGS" > "$out/llama_cpp_python-0.3.36-cp311-cp311-linux_x86_64.whl"
fi
if [ "$1" = install ]; then cat "${@: -1}" > "$INSTALLED"; fi
"""


def run(tmp_path, flags):
    pip = tmp_path / "pip"
    pip.write_text(FAKE_PIP)
    pip.chmod(0o755)
    env = dict(os.environ, LOG=str(tmp_path / "log"), INSTALLED=str(tmp_path / "installed"),
               NEWSQA_WHEEL_CACHE=str(tmp_path / "cache"))
    subprocess.run(["bash", str(SCRIPT), str(pip), "0.3.36", flags], env=env, check=True,
                   capture_output=True, text=True)
    return (tmp_path / "installed").read_text().strip(), (tmp_path / "log").read_text().splitlines()


def test_builds_once_per_flag_set_and_installs_that_exact_wheel(tmp_path):
    portable = "-DGGML_NATIVE=OFF -DGGML_AVX2=ON"
    installed, log = run(tmp_path, portable)
    assert installed == portable
    assert log[0].startswith("wheel --quiet --no-deps --no-cache-dir --no-binary llama-cpp-python")
    assert log[1].startswith("install --quiet --force-reinstall --no-deps") and log[1].endswith(".whl")

    installed, log = run(tmp_path, "-DGGML_NATIVE=OFF   -DGGML_AVX2=ON")  # same flags, other spacing
    assert installed == portable and [line.split()[0] for line in log] == ["wheel", "install", "install"]

    installed, log = run(tmp_path, "-DGGML_NATIVE=ON")
    assert installed == "-DGGML_NATIVE=ON" and [line.split()[0] for line in log].count("wheel") == 2
    assert len(list((tmp_path / "cache").iterdir())) == 2


def test_the_makefile_builds_portably():
    make = (ROOT / "Makefile").read_text()
    assert "scripts/llama_wheel.sh" in make and "-DGGML_NATIVE=OFF" in make
    for off in ("GGML_AVX512", "GGML_AMX_TILE", "GGML_AMX_INT8", "GGML_AMX_BF16"):
        assert f"-D{off}=OFF" in make


def test_build_only_prints_the_wheel_and_installs_nothing(tmp_path):
    pip = tmp_path / "pip"
    pip.write_text(FAKE_PIP)
    pip.chmod(0o755)
    env = dict(os.environ, LOG=str(tmp_path / "log"), INSTALLED=str(tmp_path / "installed"),
               NEWSQA_WHEEL_CACHE=str(tmp_path / "cache"), NEWSQA_WHEEL_INSTALL="0")
    out = subprocess.run(["bash", str(SCRIPT), str(pip), "0.3.36", "-DGGML_NATIVE=ON"], env=env, check=True,
                         capture_output=True, text=True).stdout.strip().splitlines()[-1]
    assert out.endswith(".whl") and Path(out).read_text().strip() == "-DGGML_NATIVE=ON"
    assert not (tmp_path / "installed").exists()
