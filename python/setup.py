"""pip install for the cimpute Python package, offline: the extension is built by cimpute's own
CMake (Eigen, pybind11, HDF5 ... from Debian), nothing is downloaded.

    python3 -m venv --system-site-packages ~/venv/cimpute
    ~/venv/cimpute/bin/pip install --no-build-isolation ./python

CMAKE_ARGS (environment) adds CMake options, e.g. CMAKE_ARGS="-DCIMPUTE_USE_BLAS=OFF".
"""
import os
import shlex
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _version():
    """The library's version, from its single source (include/cimpute/version.hpp)."""
    import re
    with open(os.path.join(ROOT, "include", "cimpute", "version.hpp")) as f:
        text = f.read()
    parts = [re.search(rf"#define CIMPUTE_VERSION_{p} (\d+)", text).group(1)
             for p in ("MAJOR", "MINOR", "PATCH")]
    return ".".join(parts)


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build = os.path.abspath(os.path.join(self.build_temp, "cmake"))
        os.makedirs(build, exist_ok=True)
        args = ["-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                "-DCIMPUTE_BUILD_PYTHON=ON", "-DCIMPUTE_BUILD_TESTS=OFF",
                "-DCIMPUTE_BUILD_EXAMPLES=OFF", "-DCIMPUTE_BUILD_TOOLS=OFF",
                "-DCIMPUTE_BUILD_BENCHMARKS=OFF",
                f"-DPython_EXECUTABLE={sys.executable}"]
        args += shlex.split(os.environ.get("CMAKE_ARGS", ""))
        subprocess.run(["cmake", *args], check=True)
        jobs = str(os.cpu_count() or 1)
        subprocess.run(["cmake", "--build", build, "--target", "_cimpute", "--parallel", jobs],
                       check=True)
        built = os.path.join(build, "python", "cimpute")
        lib = next(f for f in os.listdir(built) if f.startswith("_cimpute") and f.endswith(".so"))
        dest = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(os.path.join(built, lib), dest)


setup(
    name="cimpute",
    version=_version(),
    description="Causal imputation: completion of perturbation screens, causal discovery from "
                "interventions, NTK kernels (C++ core)",
    packages=["cimpute"],
    ext_modules=[CMakeExtension("cimpute._cimpute")],
    cmdclass={"build_ext": CMakeBuild},
    python_requires=">=3.9",
    install_requires=["numpy", "pandas"],
    extras_require={"all": ["anndata", "tqdm", "matplotlib", "networkx"]},
    zip_safe=False,
)
