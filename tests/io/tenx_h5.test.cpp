// 10x Genomics HDF5 reading, checked against the Matrix Market copy of the same matrix.
#include "test_data.hpp"

#include <cimpute/core/config.hpp>

#if CIMPUTE_HAS_HDF5 && CIMPUTE_HAS_ZLIB
#include <cimpute/io/mtx.hpp>
#include <cimpute/io/tenx_h5.hpp>

TEST_CASE("10x h5: equals the v3 Matrix Market folder", "[io][tenx_h5]") {
  const std::string h5 = "formats/10x_v3/filtered_feature_bc_matrix.h5";
  CIMPUTE_REQUIRE_DATA(h5);
  const auto a = cimpute::read_10x_h5<double>(cimpute_test::data_path(h5));
  const auto b = cimpute::read_10x_mtx<double>(cimpute_test::data_path("formats/10x_v3"));
  CHECK(a.rows() == 507);
  CHECK(a.cols() == 1107);
  CHECK(a.nonzeros() == 23866);
  CHECK(a.row_ids() == b.row_ids());
  CHECK(a.col_ids() == b.col_ids());
  CHECK(a.row_meta().field("name") == b.row_meta().field("name"));
  CHECK(a.row_meta().field("feature_type") == b.row_meta().field("feature_type"));
  CHECK((a.data() - b.data()).norm() == 0.0);
  CHECK(a.data().sum() == 41549.0); // zcat matrix.mtx.gz | awk 'NR>3{s+=$3} END{print s}'
}

TEST_CASE("10x h5: other HDF5 layouts are rejected clearly", "[io][tenx_h5]") {
  const std::string other = "formats/10x_pbmc68k_reduced.h5ad";
  CIMPUTE_REQUIRE_DATA(other);
  CHECK_THROWS_WITH(cimpute::read_10x_h5<double>(cimpute_test::data_path(other)),
                    Catch::Contains("/matrix") && Catch::Contains("missing group"));
}
#endif
