// The _cimpute extension module: exceptions, the PerturbationTensor class, and the binders of
// io, completion, discovery and kernels. The pure-Python package `cimpute` builds its API on it.
#include "common.hpp"

#include <cimpute/core/config.hpp>
#include <cimpute/core/errors.hpp>
#include <cimpute/version.hpp>

#include <cmath>
#include <limits>

namespace cimpute_py {
namespace {

void bind_tensor(py::module_& m) {
  py::class_<Tensor>(m, "Tensor",
                     "cimpute::PerturbationTensor<double> (use cimpute.PerturbationTensor)")
      .def_static(
          "from_signatures",
          [](Eigen::Ref<const Eigen::MatrixXd> values,
             const std::vector<std::string>& perturbations,
             const std::vector<std::string>& contexts, std::vector<std::string> features) {
            return Tensor::from_signatures(values, perturbations, contexts, std::move(features));
          },
          py::arg("values"), py::arg("perturbations"), py::arg("contexts"), py::arg("features"))
      .def_property_readonly("perturbations",
                             [](const Tensor& t) { return t.perturbations().ids(); })
      .def_property_readonly("contexts", [](const Tensor& t) { return t.contexts().ids(); })
      .def_property_readonly("features", [](const Tensor& t) { return t.features().ids(); })
      .def_property_readonly("feature_symbols", &Tensor::feature_symbols)
      .def_property_readonly("observed",
                             [](const Tensor& t) { return Eigen::MatrixXi(t.mask().cast<int>()); })
      .def_property_readonly("signatures",
                             [](const Tensor& t) { return Eigen::MatrixXd(t.observed()); })
      .def_property_readonly("observed_pairs",
                             [](const Tensor& t) {
                               std::vector<std::pair<Eigen::Index, Eigen::Index>> out;
                               for (const auto& p : t.observed_pairs())
                                 out.emplace_back(p.perturbation, p.context);
                               return out;
                             })
      .def("with_labels", &Tensor::with_labels, py::arg("perturbations"), py::arg("contexts"))
      .def("signature", [](const Tensor& t, const std::string& p,
                           const std::string& c) { return Eigen::VectorXd(t.signature(p, c)); })
      .def("dense",
           [](const Tensor& t) {
             const Eigen::Index P = t.num_perturbations(), G = t.num_features(),
                                C = t.num_contexts();
             py::array_t<double> out({P, C, G});
             auto v = out.mutable_unchecked<3>();
             for (Eigen::Index p = 0; p < P; ++p)
               for (Eigen::Index c = 0; c < C; ++c)
                 for (Eigen::Index g = 0; g < G; ++g)
                   v(p, c, g) = std::numeric_limits<double>::quiet_NaN();
             const auto& pairs = t.observed_pairs();
             for (std::size_t r = 0; r < pairs.size(); ++r)
               for (Eigen::Index g = 0; g < G; ++g)
                 v(pairs[r].perturbation, pairs[r].context, g) = t.observed()(Eigen::Index(r), g);
             return out;
           })
      .def("set_control", py::overload_cast<const std::string&>(&Tensor::set_control))
      .def("control",
           [](const Tensor& t, Eigen::Index c) {
             const Eigen::Index p = t.control(c);
             return p < 0 ? py::object(py::none()) : py::object(py::str(t.perturbations()[p]));
           })
      .def("set_feature_symbols", &Tensor::set_feature_symbols);
}

} // namespace
} // namespace cimpute_py

PYBIND11_MODULE(_cimpute, m) {
  using namespace cimpute_py;
  m.doc() = "cimpute's C++ core (use the `cimpute` package)";
  m.attr("__version__") = cimpute::version_string;
  static py::exception<cimpute::parse_error> parse_exc(m, "ParseError", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const cimpute::parse_error& e) {
      py::object err = py::reinterpret_borrow<py::object>(parse_exc.ptr())(e.what());
      err.attr("file") = e.file();
      err.attr("line") = e.line();
      err.attr("column") = e.column();
      PyErr_SetObject(parse_exc.ptr(), err.ptr());
    } catch (const cimpute::invalid_argument& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const std::invalid_argument& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const std::out_of_range& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const std::logic_error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });
  m.attr("has_hdf5") = bool(CIMPUTE_HAS_HDF5);
  bind_tensor(m);
  bind_options(m);
  bind_io(m);
  bind_completion(m);
  bind_discovery(m);
  bind_kernels(m);
  bind_nn(m);
  bind_metrics(m);
}
