// Shared pieces of the _cimpute extension module: the conversions between cimpute's types and
// Python's, the interruptible progress callback, and the binders of each source file.
#pragma once

#include <cimpute/core/metadata_table.hpp>
#include <cimpute/core/perturbation_tensor.hpp>
#include <cimpute/core/progress.hpp>

#include <pybind11/eigen.h>
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

namespace cimpute_py {

namespace py = pybind11;
using Tensor = cimpute::PerturbationTensor<double>;

/// A progress callback for the library: with the GIL, calls `fn(done, total)` when `fn` is not
/// None, and checks for signals, so that Ctrl-C ends the computation at the next report with
/// KeyboardInterrupt. A Python exception travels as `py::error_already_set` (which carries it
/// across threads: the library's workers rethrow on the calling thread) and is raised again when
/// the call returns to Python.
inline cimpute::ProgressCallback interruptible(py::object fn) {
  // The library copies callbacks freely, also without the GIL: the Python object is shared
  // through a shared_ptr (copies touch no Python refcount) and released with the GIL held.
  struct Held {
    py::object fn;
    ~Held() {
      py::gil_scoped_acquire gil;
      fn = py::object();
    }
  };
  auto held = std::shared_ptr<Held>(new Held{std::move(fn)});
  return [held](long done, long total) {
    py::gil_scoped_acquire gil;
    if (!held->fn.is_none()) held->fn(done, total);
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  };
}

/// A metadata table as a dict of field -> list of str (field order kept: dicts are ordered).
inline py::dict to_dict(const cimpute::MetadataTable& m) {
  py::dict d;
  for (const auto& f : m.field_names()) d[py::str(f)] = m.field(f);
  return d;
}

/// A dict of field -> list of str as a metadata table of `n` entries (lengths checked).
inline cimpute::MetadataTable to_metadata(const py::dict& d, Eigen::Index n, const char* what) {
  cimpute::MetadataTable m(n);
  for (const auto& [k, v] : d) {
    auto values = v.cast<std::vector<std::string>>();
    if (Eigen::Index(values.size()) != n)
      throw cimpute::invalid_argument(std::string(what) + " field '" + k.cast<std::string>() +
                                      "' has " + std::to_string(values.size()) + " values for " +
                                      std::to_string(n) + " entries");
    m.add_field(k.cast<std::string>(), std::move(values));
  }
  return m;
}

void bind_options(py::module_& m);
void bind_io(py::module_& m);
void bind_completion(py::module_& m);
void bind_discovery(py::module_& m);
void bind_kernels(py::module_& m);
void bind_nn(py::module_& m);
void bind_metrics(py::module_& m);

} // namespace cimpute_py
