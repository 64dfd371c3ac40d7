/// @file kernels.hpp
/// @brief Umbrella header of the kernels module: NTK / NNGP, Laplace / Gaussian kernels, Gram
/// matrices and matrix-free products, and the pair kernel used by NTK matrix completion.
#pragma once

#include "cimpute/kernels/gram.hpp"
#include "cimpute/kernels/kernel_traits.hpp"
#include "cimpute/kernels/ntk.hpp"
#include "cimpute/kernels/pair_kernel.hpp"
#include "cimpute/kernels/stationary.hpp"
