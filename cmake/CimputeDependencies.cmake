# Finds Eigen (required) and the optional components, and exposes each to code as a
# CIMPUTE_HAS_<NAME> macro (0/1) on the interface target.
find_package(Eigen3 3.3 REQUIRED NO_MODULE)
# Boost.Math (header-only) for statistical distributions: apt-get install libboost-math-dev.
find_package(Boost 1.70 REQUIRED)

find_package(HDF5 QUIET COMPONENTS C)
find_package(ZLIB QUIET)
find_package(OpenMP QUIET COMPONENTS CXX)
find_package(MPI QUIET COMPONENTS C)

option(CIMPUTE_WITH_HDF5 "GCTX, h5ad and 10x HDF5 support through the HDF5 C library" ${HDF5_FOUND})
option(CIMPUTE_WITH_ZLIB "Read .gz inputs through zlib" ${ZLIB_FOUND})
option(CIMPUTE_WITH_OPENMP "Use OpenMP threads" ${OpenMP_CXX_FOUND})
# The distributed component (include/cimpute/distributed/, target cimpute::mpi, the cimpute-mpi
# tool): OpenMPI from Debian (apt-get install libopenmpi-dev openmpi-bin), MPI C API only.
option(CIMPUTE_WITH_MPI "Build the MPI component (cimpute::mpi, cimpute-mpi)" ${MPI_C_FOUND})
if(CIMPUTE_WITH_MPI AND NOT MPI_C_FOUND)
  message(FATAL_ERROR "CIMPUTE_WITH_MPI=ON but MPI was not found (install libopenmpi-dev openmpi-bin)")
endif()
# The fast path by default: Eigen's products and factorizations go to OpenBLAS / LAPACKE when
# both are installed (apt-get install libopenblas-dev liblapacke-dev); -DCIMPUTE_USE_BLAS=OFF keeps
# Eigen's own kernels. The probe is quiet and runs only when the option is not set yet.
if(NOT DEFINED CIMPUTE_USE_BLAS)
  set(BLA_VENDOR OpenBLAS)
  find_package(BLAS QUIET)
  find_package(LAPACK QUIET)
  find_library(CIMPUTE_LAPACKE_LIBRARY NAMES lapacke)
  find_path(CIMPUTE_LAPACKE_INCLUDE_DIR NAMES lapacke.h)
  set(_cimpute_blas_default OFF)
  if(BLAS_FOUND AND LAPACK_FOUND AND CIMPUTE_LAPACKE_LIBRARY AND CIMPUTE_LAPACKE_INCLUDE_DIR)
    set(_cimpute_blas_default ON)
  endif()
endif()
option(CIMPUTE_USE_BLAS
  "Route Eigen's dense products and factorizations to OpenBLAS / LAPACKE (EIGEN_USE_BLAS, EIGEN_USE_LAPACKE); ON when both are found"
  ${_cimpute_blas_default})
if(CIMPUTE_USE_BLAS)
  set(BLA_VENDOR OpenBLAS)
  find_package(BLAS REQUIRED)
  find_package(LAPACK REQUIRED)
  find_library(CIMPUTE_LAPACKE_LIBRARY NAMES lapacke)
  if(NOT CIMPUTE_LAPACKE_LIBRARY)
    message(FATAL_ERROR "CIMPUTE_USE_BLAS=ON needs LAPACKE (apt-get install liblapacke-dev)")
  endif()
endif()

# Link one optional component into `target` and define CIMPUTE_HAS_<name> to 0 or 1.
function(_cimpute_optional target name found imported package)
  if(CIMPUTE_WITH_${name})
    if(NOT ${found})
      message(FATAL_ERROR "CIMPUTE_WITH_${name}=ON but it was not found (install ${package})")
    endif()
    target_link_libraries(${target} INTERFACE ${imported})
    target_compile_definitions(${target} INTERFACE CIMPUTE_HAS_${name}=1)
  else()
    target_compile_definitions(${target} INTERFACE CIMPUTE_HAS_${name}=0)
  endif()
endfunction()

function(cimpute_link_optional_dependencies target)
  _cimpute_optional(${target} HDF5 HDF5_FOUND hdf5::hdf5 libhdf5-dev)
  _cimpute_optional(${target} ZLIB ZLIB_FOUND ZLIB::ZLIB zlib1g-dev)
  _cimpute_optional(${target} OPENMP OpenMP_CXX_FOUND OpenMP::OpenMP_CXX "an OpenMP runtime")
  if(CIMPUTE_USE_BLAS)
    # LAPACKE's complex types as std::complex: otherwise its header includes C's <complex.h>,
    # whose macro `I` breaks C++ code (Boost among others) included after Eigen.
    target_compile_definitions(${target} INTERFACE EIGEN_USE_BLAS EIGEN_USE_LAPACKE CIMPUTE_USE_BLAS=1
      "lapack_complex_float=std::complex<float>" "lapack_complex_double=std::complex<double>")
    target_link_libraries(${target} INTERFACE BLAS::BLAS LAPACK::LAPACK ${CIMPUTE_LAPACKE_LIBRARY})
  endif()
  message(STATUS "cimpute optional components: BLAS=${CIMPUTE_USE_BLAS} HDF5=${CIMPUTE_WITH_HDF5} "
                 "zlib=${CIMPUTE_WITH_ZLIB} OpenMP=${CIMPUTE_WITH_OPENMP} MPI=${CIMPUTE_WITH_MPI}")
endfunction()
