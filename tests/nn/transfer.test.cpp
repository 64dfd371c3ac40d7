// Latent effects and transfer: alignment of planted effects, PCA codes, and the autoencoder
// transfer of a linear autoencoder, which must equal the perturbation mean.
#include "test_data.hpp"

#include <cimpute/completion/autoencoder_transfer.hpp>
#include <cimpute/completion/means.hpp>
#include <cimpute/nn/latent_effects.hpp>

#include <random>

using cimpute::PairIndex;

TEST_CASE("cross_context_alignment on planted effects", "[nn][latent]") {
  // Drug 0: the same direction in three contexts (scaled); drug 1: opposite directions.
  Eigen::MatrixXd E(5, 3);
  E << 1, 2, 0, 2, 4, 0, 0.5, 1, 0, 1, 0, 0, -1, 0, 0;
  const std::vector<PairIndex> pairs{{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 2}};
  const auto a = cimpute::cross_context_alignment(E, pairs);
  REQUIRE(a.cosines.size() == 4); // 3 pairs of contexts for drug 0, 1 for drug 1
  CHECK(a.cosines.head(3).isApprox(Eigen::Vector3d::Ones()));
  CHECK(a.cosines[3] == Approx(-1.0));
  CHECK(a.mean == Approx(0.5));
  CHECK(a.mean_abs == Approx(1.0));
  CHECK_THROWS_WITH(cimpute::cross_context_alignment(E.topRows(1), {{0, 0}}),
                    Catch::Contains("two contexts"));
}

TEST_CASE("Pca keeps the distances of rank-k data", "[nn][latent]") {
  std::mt19937_64 rng(2);
  std::normal_distribution<double> n01(0, 1);
  Eigen::MatrixXd A(30, 2), B(2, 8);
  for (Eigen::Index i = 0; i < A.size(); ++i) A(i) = n01(rng);
  for (Eigen::Index i = 0; i < B.size(); ++i) B(i) = n01(rng);
  const Eigen::MatrixXd X = A * B;
  const cimpute::Pca pca(X, 5);
  CHECK(pca.components() == 5);
  const Eigen::MatrixXd Z = pca.transform(X);
  for (Eigen::Index i = 1; i < 30; ++i)
    CHECK((Z.row(i) - Z.row(0)).norm() == Approx((X.row(i) - X.row(0)).norm()).epsilon(1e-10));
}

TEST_CASE("AutoencoderTransfer with a linear autoencoder equals the perturbation mean",
          "[nn][transfer]") {
  // decode(code(ctrl_c) + mean_c' [code(x_dc') - code(ctrl_c')]) - ctrl_c is the mean of d's
  // signatures when the linear network interpolates its training profiles.
  std::mt19937_64 rng(4);
  std::normal_distribution<double> n01(0, 1);
  const Eigen::Index P = 4, C = 3, G = 5;
  std::vector<std::string> p, c;
  std::vector<Eigen::RowVectorXd> rows;
  for (Eigen::Index ci = 0; ci < C; ++ci)
    for (Eigen::Index pi = 0; pi < P; ++pi) {
      if (pi == 3 && ci == 2) continue;
      Eigen::RowVectorXd x(G);
      for (Eigen::Index g = 0; g < G; ++g) x[g] = n01(rng);
      rows.push_back(x);
      p.push_back("p" + std::to_string(pi));
      c.push_back("c" + std::to_string(ci));
    }
  Eigen::MatrixXd S(Eigen::Index(rows.size()), G);
  for (std::size_t i = 0; i < rows.size(); ++i) S.row(Eigen::Index(i)) = rows[i];
  const auto t =
      cimpute::PerturbationTensor<double>::from_signatures(S, p, c, {"g1", "g2", "g3", "g4", "g5"});
  std::vector<Eigen::Index> all(static_cast<std::size_t>(t.num_observed()));
  for (Eigen::Index i = 0; i < t.num_observed(); ++i) all[std::size_t(i)] = i;
  const cimpute::TrainingSet<double> train(t, all);

  cimpute::AutoencoderTransferOptions o;
  o.hidden = {8};
  o.bias = false;
  o.epochs = 4000;
  o.batch_size = 0;
  o.learning_rate = 1e-2;
  o.baselines = Eigen::MatrixXd::Random(C, G) * 3;
  cimpute::AutoencoderTransfer<double, cimpute::Identity> ae(o);
  ae.fit(train);
  cimpute::MeanCompletion<double> mean(cimpute::MeanKind::Perturbation);
  mean.fit(train);
  const std::vector<PairIndex> test{{3, 2}, {0, 1}, {2, 0}};
  const Eigen::MatrixXd a = ae.predict(test), b = mean.predict(test);
  INFO("transfer\n" << a << "\nperturbation mean\n" << b);
  CHECK((a - b).cwiseAbs().maxCoeff() < 1e-3 * b.cwiseAbs().maxCoeff());
  CHECK_THROWS_WITH(cimpute::AutoencoderTransfer<double>().predict(test),
                    Catch::Contains("call fit() first"));
  o.baselines = Eigen::MatrixXd::Zero(2, G);
  CHECK_THROWS_WITH(cimpute::AutoencoderTransfer<double>(o).fit(train),
                    Catch::Contains("baselines are 2 x 5"));
}
