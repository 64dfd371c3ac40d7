/// @file boost_math.hpp
/// @brief The Boost.Math distributions cimpute uses, included safely after C's <complex.h>.
///
/// With `EIGEN_USE_LAPACKE`, Eigen's lapacke.h may include <complex.h>, which defines the macro
/// `I`; Boost's headers use `I` as a template parameter name. The macro is set aside while Boost
/// is included. (cimpute's CMake target also defines LAPACKE's complex types as std::complex,
/// which avoids <complex.h> altogether.)
#pragma once

#pragma push_macro("I")
#undef I
#include <boost/math/distributions/fisher_f.hpp>
#include <boost/math/distributions/gamma.hpp>
#include <boost/math/distributions/normal.hpp>
#pragma pop_macro("I")
