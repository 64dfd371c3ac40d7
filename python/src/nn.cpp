// nn: autoencoders trained to interpolation, and their training examples as attractors.
#include "common.hpp"

#include <cimpute/nn/attractors.hpp>
#include <cimpute/nn/autoencoder.hpp>

namespace cimpute_py {
namespace {

template <class Scalar, class Activation>
void bind_autoencoder(py::module_& m, const char* name) {
  using Ae = cimpute::Autoencoder<Scalar, Activation>;
  using Matrix = typename Ae::Matrix;
  py::class_<Ae>(m, name)
      .def(py::init([](Eigen::Index features, std::vector<Eigen::Index> hidden, bool bias,
                       std::uint64_t seed) {
             return Ae(features, std::move(hidden), bias, Activation{},
                       cimpute::Initialization::Uniform, seed);
           }),
           py::arg("features"), py::arg("hidden"), py::arg("bias"), py::arg("seed"))
      .def_property_readonly("features", &Ae::features)
      .def_property_readonly("code_size", &Ae::code_size)
      .def(
          "train",
          [](Ae& ae, const Matrix& X, int max_epochs, Eigen::Index batch_size, double rate,
             double loss_threshold, double validation_fraction, std::uint64_t seed,
             py::object progress) {
            cimpute::AutoencoderTraining o;
            o.max_epochs = max_epochs;
            o.batch_size = batch_size;
            o.schedule.rate = rate;
            o.loss_threshold = loss_threshold;
            o.validation_fraction = validation_fraction;
            o.seed = seed;
            const auto cb = interruptible(std::move(progress));
            cimpute::TrainingHistory h;
            {
              py::gil_scoped_release nogil;
              h = ae.train(X, o, [&](const cimpute::EpochReport& e) {
                cb(e.epoch, max_epochs); // Ctrl-C stops training after the epoch
              });
            }
            py::list epochs;
            for (const auto& e : h.epochs) {
              py::dict d;
              d["epoch"] = e.epoch;
              d["train_loss"] = e.train_loss;
              d["validation_loss"] = e.validation_loss;
              d["seconds"] = e.seconds;
              epochs.append(d);
            }
            return py::make_tuple(epochs, h.best_epoch, h.reached_threshold);
          },
          py::arg("X"), py::arg("max_epochs"), py::arg("batch_size"), py::arg("rate"),
          py::arg("loss_threshold"), py::arg("validation_fraction"), py::arg("seed"),
          py::arg("progress"))
      .def("reconstruct", [](const Ae& ae, const Matrix& X) { return Matrix(ae.reconstruct(X)); })
      .def("encode", [](const Ae& ae, const Matrix& X) { return Matrix(ae.encode(X)); })
      .def("decode", [](const Ae& ae, const Matrix& Z) { return Matrix(ae.decode(Z)); })
      .def("loss", [](const Ae& ae, const Matrix& X) { return ae.loss(X); })
      .def(
          "attractors",
          [](const Ae& ae, const Matrix& X, double tolerance) {
            cimpute::AttractorReport r;
            {
              py::gil_scoped_release nogil;
              r = cimpute::attractor_report(ae.network(), X, tolerance);
            }
            py::dict d;
            d["attractor"] = r.attractor;
            d["residual"] = r.residual;
            d["spectral_radius"] = r.spectral_radius;
            return d;
          },
          py::arg("X"), py::arg("tolerance"));
  // NumPy arrays of another dtype are converted by pybind11 (a copy), so the float32 networks
  // take float32 arrays without one.
}

} // namespace

void bind_nn(py::module_& m) {
  bind_autoencoder<double, cimpute::LeakyRelu>(m, "AutoencoderLeakyRelu");
  bind_autoencoder<double, cimpute::Tanh>(m, "AutoencoderTanh");
  bind_autoencoder<float, cimpute::LeakyRelu>(m, "AutoencoderLeakyRelu32");
  bind_autoencoder<float, cimpute::Tanh>(m, "AutoencoderTanh32");
}

} // namespace cimpute_py
