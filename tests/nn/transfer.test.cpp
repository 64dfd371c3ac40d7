// Latent effects and transfer: alignment of planted effects, PCA codes, and the autoencoder
// transfer of a linear autoencoder, which must equal the perturbation mean.
#include "test_data.hpp"

#include <cimpute/completion/autoencoder_transfer.hpp>
#include <cimpute/completion/means.hpp>
#include <cimpute/nn/cross_modal.hpp>
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

TEST_CASE("aligned_linear_encoder equals its definition through T^11 and an SVD", "[nn][latent]") {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u01(0, 1);
  Eigen::MatrixXd X(40, 6);
  for (Eigen::Index i = 0; i < X.size(); ++i) X(i) = u01(rng); // min-max scaled data, as in use
  // The definition, by a different route: the matrix power by products, then a general SVD.
  Eigen::MatrixXd T = X.transpose() * X / (40.0 * 6.0) + Eigen::MatrixXd::Identity(6, 6);
  Eigen::MatrixXd M = T;
  for (int k = 1; k < 11; ++k) M = M * T;
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(M, Eigen::ComputeFullU | Eigen::ComputeFullV);
  const Eigen::ArrayXd s = svd.singularValues().array();
  const Eigen::VectorXd g = (s.square() / 2 + (1 + s.pow(4) / 4).sqrt()).sqrt().matrix();
  const Eigen::MatrixXd expected = svd.matrixU() * g.asDiagonal() * svd.matrixV().transpose();
  const Eigen::MatrixXd W = cimpute::aligned_linear_encoder(X);
  CHECK(W.isApprox(expected, 1e-10));
  CHECK(W.isApprox(W.transpose(), 1e-12));
  CHECK(Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(W).eigenvalues().minCoeff() >= 1 - 1e-12);
  // Bad input throws.
  CHECK_THROWS_WITH(cimpute::aligned_linear_encoder(X, 0), Catch::Contains("power"));
  X(2, 3) = std::nan("");
  CHECK_THROWS_WITH(cimpute::aligned_linear_encoder(X), Catch::Contains("non-finite"));
}

TEST_CASE("AutoencoderTransfer with a linear autoencoder: the perturbation mean (control + "
          "effect) and the additive two-way model (TwoWay)",
          "[nn][transfer]") {
  // When the linear network interpolates its training profiles, decode(code(ctrl_c) +
  // mean_c' [code(x_dc') - code(ctrl_c')]) - ctrl_c is the mean of d's signatures, and
  // decode(mean code of c + mean_c' [code(x_dc') - mean code of c']) - ctrl_c is the additive
  // two-way model m_c + mean_c' (x_dc' - m_c') with m_c the mean signature of context c.
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
  o.latent = cimpute::LatentModel::ControlPlusEffect;
  cimpute::AutoencoderTransferCompletion<double, cimpute::Identity> ae(o);
  ae.fit(train);
  cimpute::MeanCompletion<double> mean(cimpute::MeanKind::Perturbation);
  mean.fit(train);
  const std::vector<PairIndex> test{{3, 2}, {0, 1}, {2, 0}};
  const Eigen::MatrixXd a = ae.predict(test), b = mean.predict(test);
  INFO("transfer\n" << a << "\nperturbation mean\n" << b);
  CHECK((a - b).cwiseAbs().maxCoeff() < 1e-3 * b.cwiseAbs().maxCoeff());

  // The two-way model by hand: context means m_c, then each perturbation's mean deviation.
  Eigen::MatrixXd m = Eigen::MatrixXd::Zero(C, G), dev = Eigen::MatrixXd::Zero(P, G);
  Eigen::VectorXd nc = Eigen::VectorXd::Zero(C), np = Eigen::VectorXd::Zero(P);
  for (Eigen::Index i = 0; i < t.num_observed(); ++i) {
    m.row(t.observed_pairs()[std::size_t(i)].context) += t.observed().row(i);
    nc[t.observed_pairs()[std::size_t(i)].context] += 1;
  }
  m.array().colwise() /= nc.array();
  for (Eigen::Index i = 0; i < t.num_observed(); ++i) {
    const auto q = t.observed_pairs()[std::size_t(i)];
    dev.row(q.perturbation) += t.observed().row(i) - m.row(q.context);
    np[q.perturbation] += 1;
  }
  dev.array().colwise() /= np.array();
  Eigen::MatrixXd two_way(Eigen::Index(test.size()), G);
  for (std::size_t k = 0; k < test.size(); ++k)
    two_way.row(Eigen::Index(k)) = m.row(test[k].context) + dev.row(test[k].perturbation);
  o.latent = cimpute::LatentModel::TwoWay;
  cimpute::AutoencoderTransferCompletion<double, cimpute::Identity> ae2(o);
  const Eigen::MatrixXd a2 = ae2.fit(train).predict(test);
  INFO("two-way transfer\n" << a2 << "\ntwo-way model\n" << two_way);
  CHECK((a2 - two_way).cwiseAbs().maxCoeff() < 1e-3 * two_way.cwiseAbs().maxCoeff());
  CHECK_THROWS_WITH(cimpute::AutoencoderTransferCompletion<double>().predict(test),
                    Catch::Contains("call fit() first"));
  o.baselines = Eigen::MatrixXd::Zero(2, G);
  CHECK_THROWS_WITH(cimpute::AutoencoderTransferCompletion<double>(o).fit(train),
                    Catch::Contains("baselines are 2 x 5"));
}

TEST_CASE("mmd2: value and gradient", "[nn][crossmodal]") {
  std::mt19937_64 rng(4);
  std::normal_distribution<double> n01(0, 1);
  Eigen::MatrixXd A(7, 3), B(5, 3);
  for (Eigen::Index i = 0; i < A.size(); ++i) A(i) = n01(rng);
  for (Eigen::Index i = 0; i < B.size(); ++i) B(i) = n01(rng) + 0.5;
  const std::vector<double> s2{0.5, 2.0};
  // The value from the definition, pair by pair.
  auto k = [&](const Eigen::RowVectorXd& x, const Eigen::RowVectorXd& y) {
    double v = 0;
    for (double s : s2) v += std::exp(-(x - y).squaredNorm() / (2 * s));
    return v;
  };
  double direct = 0;
  for (Eigen::Index i = 0; i < 7; ++i)
    for (Eigen::Index j = 0; j < 7; ++j) direct += k(A.row(i), A.row(j)) / 49;
  for (Eigen::Index i = 0; i < 5; ++i)
    for (Eigen::Index j = 0; j < 5; ++j) direct += k(B.row(i), B.row(j)) / 25;
  for (Eigen::Index i = 0; i < 7; ++i)
    for (Eigen::Index j = 0; j < 5; ++j) direct -= 2 * k(A.row(i), B.row(j)) / 35;
  Eigen::MatrixXd gA, gB;
  CHECK(cimpute::mmd2(A, B, s2, &gA, &gB) == Approx(direct).epsilon(1e-12));
  CHECK(cimpute::mmd2(A, A, s2) == Approx(0).margin(1e-12));
  const double h = 1e-6;
  for (Eigen::Index e = 0; e < A.size(); ++e) {
    Eigen::MatrixXd Ap = A, Am = A;
    Ap(e) += h;
    Am(e) -= h;
    CHECK(gA(e) == Approx((cimpute::mmd2(Ap, B, s2) - cimpute::mmd2(Am, B, s2)) / (2 * h))
                       .epsilon(1e-6)
                       .margin(1e-9));
  }
  for (Eigen::Index e = 0; e < B.size(); ++e) {
    Eigen::MatrixXd Bp = B, Bm = B;
    Bp(e) += h;
    Bm(e) -= h;
    CHECK(gB(e) == Approx((cimpute::mmd2(A, Bp, s2) - cimpute::mmd2(A, Bm, s2)) / (2 * h))
                       .epsilon(1e-6)
                       .margin(1e-9));
  }
}

TEST_CASE("CrossModalAutoencoders align two views of planted latent states", "[nn][crossmodal]") {
  // 400 samples of a 3-dimensional latent state seen through two different nonlinear views
  // (20 and 15 features); the first 300 are training samples, 60 of them with known pairs; the
  // last 100 are held out. Chance recovery is 1 / 100.
  std::mt19937_64 rng(5);
  std::normal_distribution<double> n01(0, 1);
  const Eigen::Index n = 400;
  Eigen::MatrixXd Z(n, 3), P1(3, 20), P2(3, 15);
  for (Eigen::Index i = 0; i < Z.size(); ++i) Z(i) = n01(rng);
  for (Eigen::Index i = 0; i < P1.size(); ++i) P1(i) = n01(rng);
  for (Eigen::Index i = 0; i < P2.size(); ++i) P2(i) = n01(rng);
  Eigen::MatrixXd V1 = (Z * P1).array().tanh().matrix(), V2 = Z * P2;
  for (Eigen::Index i = 0; i < V1.size(); ++i) V1(i) += 0.05 * n01(rng);
  for (Eigen::Index i = 0; i < V2.size(); ++i) V2(i) += 0.05 * n01(rng);
  const Eigen::MatrixXf X1 = V1.topRows(300).cast<float>(), X2 = V2.topRows(300).cast<float>();
  std::vector<std::pair<Eigen::Index, Eigen::Index>> anchors;
  for (Eigen::Index i = 0; i < 60; ++i) anchors.push_back({i, i});
  cimpute::CrossModalTraining t;
  t.epochs = 300;
  t.batch_size = 100;
  t.anchor_weight = 1.0;
  cimpute::CrossModalAutoencoders<float> model(20, 15, 3, {64}, true, cimpute::Initialization::He,
                                               1);
  int calls = 0;
  const auto hist =
      model.train(X1, X2, anchors, t, [&](const cimpute::CrossModalEpoch&) { ++calls; });
  CHECK(calls == 300);
  CHECK(hist.back().reconstruction1 < 0.2 * hist.front().reconstruction1);
  CHECK(hist.back().anchor < 0.2 * hist.front().anchor);
  const Eigen::MatrixXf H1 = V1.bottomRows(100).cast<float>(),
                        H2 = V2.bottomRows(100).cast<float>();
  const auto aligned = cimpute::partner_recovery(model.encode(0, H1).cast<double>(),
                                                 model.encode(1, H2).cast<double>(), 5);
  // Without the anchor and MMD terms the two latent spaces are unrelated.
  cimpute::CrossModalAutoencoders<float> separate(20, 15, 3, {64}, true,
                                                  cimpute::Initialization::He, 1);
  t.anchor_weight = 0;
  t.mmd_weight = 0;
  separate.train(X1, X2, anchors, t);
  const auto apart = cimpute::partner_recovery(separate.encode(0, H1).cast<double>(),
                                               separate.encode(1, H2).cast<double>(), 5);
  INFO("aligned top-1 / top-5 " << aligned.first << " / " << aligned.second << ", separate "
                                << apart.first << " / " << apart.second);
  CHECK(aligned.second >= 0.5);
  CHECK(aligned.second > apart.second + 0.3);
  // Translation 1 -> 2 beats predicting the training mean of modality 2.
  const Eigen::MatrixXf T = model.translate(0, 1, H1);
  const double err = (T - H2).squaredNorm();
  const double base = (H2.rowwise() - X2.colwise().mean()).squaredNorm();
  CHECK(err < 0.5 * base);
  CHECK_THROWS_WITH(model.train(X2, X1, anchors, t), Catch::Contains("modality 1 has 15"));
  CHECK_THROWS_WITH(model.train(X1, X2, {{0, 300}}, t), Catch::Contains("outside the data"));
}
