// detail::gemm (the products of the network passes) against Eigen's product, on blocks with outer
// strides, every combination of transposes, float and double.
#include <cimpute/core/gemm.hpp>

#include <catch2/catch.hpp>

#include <limits>

TEMPLATE_TEST_CASE("gemm overwrites a block with op(A) op(B)", "[core][gemm]", float, double) {
  using M = Eigen::Matrix<TestType, Eigen::Dynamic, Eigen::Dynamic>;
  using cimpute::detail::Op;
  const M big_a = M::Random(40, 50), big_b = M::Random(45, 60);
  for (Op oa : {Op::N, Op::T})
    for (Op ob : {Op::N, Op::T}) {
      // op(A) is 7 x 9 and op(B) 9 x 11, both blocks of larger matrices.
      const auto A = oa == Op::N ? big_a.block(3, 4, 7, 9) : big_a.block(3, 4, 9, 7);
      const auto B = ob == Op::N ? big_b.block(2, 5, 9, 11) : big_b.block(2, 5, 11, 9);
      const M a = oa == Op::N ? M(A) : M(A.transpose()), b = ob == Op::N ? M(B) : M(B.transpose());
      M C =
          M::Constant(20, 30, std::numeric_limits<TestType>::quiet_NaN()); // overwritten, not read
      cimpute::detail::gemm<TestType>(oa, A, ob, B, C.block(4, 6, 7, 11));
      const M expected = a * b;
      CHECK((C.block(4, 6, 7, 11) - expected).norm() <=
            100 * std::numeric_limits<TestType>::epsilon() * expected.norm());
      CHECK(std::isnan(double(C(3, 6)))); // nothing outside the block is written
      CHECK(std::isnan(double(C(4, 17))));
    }
  // No inner dimension: C = 0.
  M C = M::Constant(3, 4, 1);
  cimpute::detail::gemm<TestType>(Op::N, M(3, 0), Op::N, M(0, 4), C);
  CHECK(C.isZero(0));
}
