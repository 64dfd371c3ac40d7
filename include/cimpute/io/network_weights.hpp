/// @file network_weights.hpp
/// @brief Network weight files: an `Mlp` or an `Autoencoder` written to and read from the cimpute
/// network format, atomically and with integrity checks.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/io/text_file.hpp"
#include "cimpute/nn/autoencoder.hpp"
#include "cimpute/nn/mlp.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <cstring>
#include <ostream>
#include <string>
#include <vector>

namespace cimpute {

namespace detail {
inline std::uint64_t fnv1a(const char* p, std::size_t n) {
  std::uint64_t h = 1469598103934665603ull;
  for (std::size_t i = 0; i < n; ++i) {
    h ^= std::uint64_t(static_cast<unsigned char>(p[i]));
    h *= 1099511628211ull;
  }
  return h;
}
constexpr char kNetworkMagic[8] = {'C', 'I', 'M', 'P', 'N', 'N', '0', '1'};
constexpr std::uint32_t kNetworkVersion = 1;
} // namespace detail

/// Write an `Mlp` to `path` atomically in the cimpute network format (little-endian): 8 bytes
/// magic `CIMPNN01`; uint32 format version (1); uint32 scalar size (4 float, 8 double); uint32
/// activation id; uint32 bias flag; uint32 number of sizes L+1; L+1 uint64 layer sizes; uint64
/// parameter count; the parameters (`Mlp::parameters()` order); uint64 FNV-1a hash of the
/// parameter bytes.
template <class Scalar, class Activation>
void save_network(const std::string& path, const Mlp<Scalar, Activation>& net) {
  detail::write_file_atomic(path, "save_network", [&](std::ostream& os) {
    auto u32 = [&](std::uint32_t v) { os.write(reinterpret_cast<const char*>(&v), 4); };
    auto u64 = [&](std::uint64_t v) { os.write(reinterpret_cast<const char*>(&v), 8); };
    os.write(detail::kNetworkMagic, 8);
    u32(detail::kNetworkVersion);
    u32(std::uint32_t(sizeof(Scalar)));
    u32(Activation::id);
    u32(net.has_bias() ? 1u : 0u);
    u32(std::uint32_t(net.sizes().size()));
    for (Eigen::Index s : net.sizes()) u64(std::uint64_t(s));
    const auto& theta = net.parameters();
    u64(std::uint64_t(theta.size()));
    const char* bytes = reinterpret_cast<const char*>(theta.data());
    const std::size_t nbytes = std::size_t(theta.size()) * sizeof(Scalar);
    os.write(bytes, std::streamsize(nbytes));
    u64(detail::fnv1a(bytes, nbytes));
  });
}

/// Read an `Mlp` written by `save_network`; throws `invalid_argument` naming the file for a wrong
/// magic, version, scalar type or activation, inconsistent sizes, a truncated file or a hash
/// mismatch.
template <class Scalar, class Activation>
Mlp<Scalar, Activation> load_network(const std::string& path, Activation activation = {}) {
  const char* fn = "load_network";
  const std::string buf = detail::read_raw_file(path, fn);
  std::size_t at = 0;
  auto need = [&](std::size_t n, const char* what) {
    if (buf.size() - at < n)
      detail::throw_invalid(fn, "'", path, "' is truncated (reading ", what, " at byte ", at, ")");
  };
  auto u32 = [&](const char* what) {
    need(4, what);
    std::uint32_t v;
    std::memcpy(&v, buf.data() + at, 4);
    at += 4;
    return v;
  };
  auto u64 = [&](const char* what) {
    need(8, what);
    std::uint64_t v;
    std::memcpy(&v, buf.data() + at, 8);
    at += 8;
    return v;
  };
  need(8, "the magic");
  if (std::memcmp(buf.data(), detail::kNetworkMagic, 8) != 0)
    detail::throw_invalid(fn, "'", path, "' is not a cimpute network file (bad magic)");
  at = 8;
  const std::uint32_t version = u32("the version");
  if (version != detail::kNetworkVersion)
    detail::throw_invalid(fn, "'", path, "' has format version ", version, ", expected ",
                          detail::kNetworkVersion);
  const std::uint32_t scalar = u32("the scalar size");
  if (scalar != sizeof(Scalar))
    detail::throw_invalid(fn, "'", path, "' holds ", scalar == 4 ? "float" : "double",
                          " weights, asked for ", sizeof(Scalar) == 4 ? "float" : "double");
  const std::uint32_t act = u32("the activation");
  if (act != Activation::id)
    detail::throw_invalid(fn, "'", path, "' was saved with activation id ", act, ", asked for id ",
                          Activation::id);
  const std::uint32_t bias = u32("the bias flag");
  if (bias > 1) detail::throw_invalid(fn, "'", path, "' has a bad bias flag ", bias);
  const std::uint32_t nsizes = u32("the number of sizes");
  if (nsizes < 2 || nsizes > 1000)
    detail::throw_invalid(fn, "'", path, "' has ", nsizes, " layer sizes");
  std::vector<Eigen::Index> sizes;
  for (std::uint32_t k = 0; k < nsizes; ++k) {
    const std::uint64_t s = u64("a layer size");
    if (s < 1 || s > (std::uint64_t(1) << 31))
      detail::throw_invalid(fn, "'", path, "' has a bad layer size ", s);
    sizes.push_back(Eigen::Index(s));
  }
  Mlp<Scalar, Activation> net(sizes, bias == 1, activation, Initialization::Zero);
  const std::uint64_t count = u64("the parameter count");
  if (count != std::uint64_t(net.parameters().size()))
    detail::throw_invalid(fn, "'", path, "' holds ", count, " parameters, its sizes need ",
                          net.parameters().size());
  const std::size_t nbytes = std::size_t(count) * sizeof(Scalar);
  need(nbytes, "the parameters");
  std::memcpy(net.parameters().data(), buf.data() + at, nbytes);
  const std::uint64_t hash = detail::fnv1a(buf.data() + at, nbytes);
  at += nbytes;
  if (u64("the hash") != hash)
    detail::throw_invalid(fn, "'", path, "' is corrupt (parameter hash mismatch)");
  if (at != buf.size())
    detail::throw_invalid(fn, "'", path, "' has ", buf.size() - at, " trailing bytes");
  if (!net.parameters().allFinite())
    detail::throw_invalid(fn, "'", path, "' holds non-finite parameters");
  return net;
}

/// Write an autoencoder's network (`save_network`).
template <class Scalar, class Activation>
void save_autoencoder(const std::string& path, const Autoencoder<Scalar, Activation>& ae) {
  save_network(path, ae.network());
}

/// Read an autoencoder written by `save_autoencoder` (the checks of `load_network`).
template <class Scalar = float, class Activation = LeakyRelu>
Autoencoder<Scalar, Activation> load_autoencoder(const std::string& path) {
  return Autoencoder<Scalar, Activation>(load_network<Scalar, Activation>(path));
}

} // namespace cimpute
