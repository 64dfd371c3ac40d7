// kernels: the NTK and NNGP kernels of ReLU networks and their Gram matrices.
#include "common.hpp"

#include <cimpute/kernels/gram.hpp>
#include <cimpute/kernels/ntk.hpp>

namespace cimpute_py {
namespace {

// Points arrive as Eigen::Ref<const MatrixXd>: a float64 Fortran-ordered array is used in place,
// anything else (C order, other dtypes) is copied once into column-major doubles. The Gram matrix
// is then exactly what C++'s `gram` computes on that matrix.
using Points = Eigen::Ref<const Eigen::MatrixXd>;

template <class Kernel>
void bind_kernel(py::module_& m, const char* name, const char* doc) {
  py::class_<Kernel>(m, name, doc)
      .def(py::init<int, double>(), py::arg("depth") = 1, py::arg("bias") = 0.0)
      .def_property_readonly("depth", &Kernel::depth)
      .def_property_readonly("bias", &Kernel::bias)
      .def("__call__", [](const Kernel& k, const Eigen::VectorXd& x,
                          const Eigen::VectorXd& y) { return k(x, y); })
      .def("__repr__", [name](const Kernel& k) {
        return std::string(name) + "(depth=" + std::to_string(k.depth()) +
               ", bias=" + std::to_string(k.bias()) + ")";
      });
  m.def(
      "gram",
      [](const Kernel& k, Points X) {
        py::gil_scoped_release nogil;
        return Eigen::MatrixXd(cimpute::gram(k, X));
      },
      py::arg("kernel"), py::arg("X"));
  m.def(
      "gram",
      [](const Kernel& k, Points X, Points Y) {
        py::gil_scoped_release nogil;
        return Eigen::MatrixXd(cimpute::gram(k, X, Y));
      },
      py::arg("kernel"), py::arg("X"), py::arg("Y"));
}

} // namespace

void bind_kernels(py::module_& m) {
  bind_kernel<cimpute::NtkKernel<double>>(
      m, "NtkKernel",
      "Neural tangent kernel of a fully connected ReLU network of `depth` hidden layers with bias "
      "standard deviation `bias` (points are rows)");
  bind_kernel<cimpute::NngpKernel<double>>(
      m, "NngpKernel", "NNGP kernel (the Gaussian-process limit) of the same ReLU network");
}

} // namespace cimpute_py
