// read_signatures: Level-5-like fixtures (several doses / times per pair, sidecar tables of both
// CMap release layouts, ids missing from them) checked against hand-computed expectations; the
// GCTX path (only selected columns read) against the GCT path; single-cell pseudobulk on the
// Papalexi screen against a pseudobulk computed here from the Matrix Market copy of the counts.
#include "test_data.hpp"

#include <cimpute/core/config.hpp>
#include <cimpute/io/format.hpp>
#include <cimpute/io/gct.hpp>
#include <cimpute/io/l1000_directory.hpp>
#include <cimpute/io/mtx.hpp>
#include <cimpute/io/sidecar.hpp>
#include <cimpute/io/signature_file.hpp>
#include <cimpute/io/table.hpp>
#if CIMPUTE_HAS_HDF5
#include <cimpute/io/gctx.hpp>
#endif

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

using cimpute_test::data_path;

namespace {

// 6 genes x 10 signatures; the matrix file carries ids only. Signature k has value 10 g + k
// at gene g, so every mean / median / pick is easy to compute by hand.
//   sig   pert   cell  dose    time  cc_q75
//   s0    D1     A     1 uM    24 h  0.2
//   s1    D1     A     10 uM   24 h  0.7   <- best of (D1, A)
//   s2    D1     A     10 uM   6 h   0.4
//   s3    D2     A     1 uM    24 h  0.5
//   s4    D1     B     1 uM    24 h  0.1
//   s5    D1     B     10 uM   6 h   -666  (missing: never preferred)
//   s6    D2     B     1 uM    24 h  0.3
//   s7    D2     B     10 uM   24 h  0.3   (tie with s6: the first wins)
//   s8    D3     B     1 uM    24 h  0.9
//   s9    (not in the sidecar)
cimpute::LabeledMatrix<double> level5_matrix(Eigen::Index n = 10) {
  Eigen::MatrixXd v(6, n);
  std::vector<std::string> rid, cid;
  for (Eigen::Index g = 0; g < 6; ++g) rid.push_back(std::to_string(101 + g));
  for (Eigen::Index k = 0; k < n; ++k) {
    cid.push_back("s" + std::to_string(k));
    for (Eigen::Index g = 0; g < 6; ++g) v(g, k) = 10.0 * double(g) + double(k);
  }
  return cimpute::LabeledMatrix<double>(v, rid, cid);
}

void write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

// GEO 2017 layout: sig_info.txt / gene_info.txt; the extra row x99 is not in the matrix.
void write_geo_sidecars(const std::filesystem::path& dir) {
  write_text(dir / "sig_info.txt",
             "sig_id\tpert_id\tpert_iname\tcell_id\tpert_idose\tpert_itime\tdistil_cc_q75\n"
             "s0\tD1\tdrug1\tA\t1 uM\t24 h\t0.2\n"
             "s1\tD1\tdrug1\tA\t10 uM\t24 h\t0.7\n"
             "s2\tD1\tdrug1\tA\t10 uM\t6 h\t0.4\n"
             "s3\tD2\tdrug2\tA\t1 uM\t24 h\t0.5\n"
             "s4\tD1\tdrug1\tB\t1 uM\t24 h\t0.1\n"
             "s5\tD1\tdrug1\tB\t10 uM\t6 h\t-666\n"
             "s6\tD2\tdrug2\tB\t1 uM\t24 h\t0.3\n"
             "s7\tD2\tdrug2\tB\t10 uM\t24 h\t0.3\n"
             "s8\tD3\tdrug3\tB\t1 uM\t24 h\t0.9\n"
             "x99\tD9\tdrug9\tC\t1 uM\t24 h\t0.9\n");
  write_text(dir / "gene_info.txt", "pr_gene_id\tpr_gene_symbol\tpr_is_lm\n"
                                    "101\tG1\t1\n102\tG2\t0\n103\tG3\t1\n"
                                    "104\tG4\t0\n105\tG5\t1\n106\tG6\t0\n");
}

// 2020 layout: sig_id in the middle, cell_iname / cmap_name, gene_id / gene_symbol /
// feature_space.
void write_2020_sidecars(const std::filesystem::path& dir) {
  write_text(dir / "siginfo_beta.txt", "pert_idose,pert_itime,cc_q75,pert_id,sig_id,cell_iname,"
                                       "cmap_name\n"
                                       "1 uM,24 h,0.2,D1,s0,A,drug1\n"
                                       "10 uM,24 h,0.7,D1,s1,A,drug1\n"
                                       "10 uM,6 h,0.4,D1,s2,A,drug1\n"
                                       "1 uM,24 h,0.5,D2,s3,A,drug2\n"
                                       "1 uM,24 h,0.1,D1,s4,B,drug1\n"
                                       "10 uM,6 h,-666,D1,s5,B,drug1\n"
                                       "1 uM,24 h,0.3,D2,s6,B,drug2\n"
                                       "10 uM,24 h,0.3,D2,s7,B,drug2\n"
                                       "1 uM,24 h,0.9,D3,s8,B,drug3\n"
                                       "1 uM,24 h,0.8,D3,s9,A,drug3\n");
  write_text(dir / "geneinfo_beta.txt", "gene_id\tgene_symbol\tfeature_space\n"
                                        "101\tG1\tlandmark\n102\tG2\tinferred\n"
                                        "103\tG3\tlandmark\n104\tG4\tbest inferred\n"
                                        "105\tG5\tlandmark\n106\tG6\tinferred\n");
}

// The value of signature k at gene g in the fixture.
double value(int g, double k) {
  return 10.0 * g + k;
}

// The row of (pert, cell) in a tensor's observed signatures, as a vector.
Eigen::VectorXd sig(const cimpute::PerturbationTensor<double>& t, const std::string& p,
                    const std::string& c) {
  const Eigen::Index r =
      t.pair_index(t.perturbations().index(p, "test"), t.contexts().index(c, "test"));
  REQUIRE(r >= 0);
  return t.observed().row(r).transpose();
}

std::filesystem::path fixture_dir(const char* name) {
  auto dir = cimpute_test::temp_dir() / name;
  std::filesystem::create_directories(dir);
  return dir;
}

} // namespace

TEST_CASE("sidecar: joined by its key, missing and unused ids reported", "[io][sidecar]") {
  const auto dir = fixture_dir("sidecar_join");
  write_geo_sidecars(dir);
  const auto m = level5_matrix();
  cimpute::SidecarJoin j;
  const auto meta = cimpute::join_sidecar((dir / "sig_info.txt").string(), m.col_labels(), "", &j);
  CHECK(j.key == "sig_id");
  CHECK(j.fields == std::vector<std::string>{"pert_id", "pert_iname", "cell_id", "pert_idose",
                                             "pert_itime", "distil_cc_q75"});
  CHECK(j.missing == std::vector<std::string>{"s9"});
  CHECK(j.unused_rows == 1);
  CHECK(meta.field("cell_id")[4] == "B");
  CHECK(meta.field("pert_idose")[1] == "10 uM");
  CHECK(meta.field("cell_id")[9].empty());

  SECTION("the 2020 layout's key is found in the middle of the header") {
    write_2020_sidecars(dir);
    const auto m2 =
        cimpute::join_sidecar((dir / "siginfo_beta.txt").string(), m.col_labels(), "", &j);
    CHECK(j.key == "sig_id");
    CHECK(j.missing.empty());
    CHECK(m2.field("cmap_name")[8] == "drug3");
  }
  SECTION("a repeated id names the line; a table of other ids says so") {
    write_text(dir / "dup.txt", "sig_id\tcell_id\ns0\tA\ns1\tA\ns0\tB\n");
    CHECK_THROWS_WITH(cimpute::join_sidecar((dir / "dup.txt").string(), m.col_labels()),
                      Catch::Contains("dup.txt:4") && Catch::Contains("'s0' repeats line 2"));
    write_text(dir / "other.txt", "sig_id\tcell_id\nq1\tA\n");
    CHECK_THROWS_WITH(cimpute::join_sidecar((dir / "other.txt").string(), m.col_labels()),
                      Catch::Contains("no id of the data"));
  }
}

TEST_CASE("read_signatures: GEO sidecars, filters, aggregations, landmark genes", "[io][sidecar]") {
  const auto dir = fixture_dir("level5_geo");
  write_geo_sidecars(dir);
  const auto gct = (dir / "level5.gct").string();
  cimpute::write_gct(gct, level5_matrix(9)); // s0..s8: every id has metadata
  cimpute::SignatureReadOptions o;
  o.col_meta = (dir / "sig_info.txt").string();
  o.row_meta = (dir / "gene_info.txt").string();

  SECTION("duplicates without an aggregation name the options") {
    CHECK_THROWS_WITH(cimpute::read_signatures(gct, o),
                      Catch::Contains("pair (D1, A) has 3 signatures (s0, s1, s2)") &&
                          Catch::Contains("best:FIELD"));
  }
  SECTION("mean, median, first and best:distil_cc_q75") {
    cimpute::SignatureReadReport r;
    o.aggregate = cimpute::Aggregation::parse("mean");
    auto t = cimpute::read_signatures(gct, o, &r);
    CHECK(r.selection.read == 9);
    CHECK(r.selection.merged == 4); // (D1,A): 3 -> 1, (D1,B): 2 -> 1, (D2,B): 2 -> 1
    CHECK(r.selection.pairs == 5);
    CHECK(t.features().ids() == std::vector<std::string>{"101", "102", "103", "104", "105", "106"});
    for (int g = 0; g < 6; ++g) {
      CHECK(sig(t, "D1", "A")[g] == Approx(value(g, (0 + 1 + 2) / 3.0)));
      CHECK(sig(t, "D1", "B")[g] == Approx(value(g, (4 + 5) / 2.0)));
    }
    o.aggregate = cimpute::Aggregation::parse("median");
    t = cimpute::read_signatures(gct, o);
    CHECK(sig(t, "D1", "A")[2] == Approx(value(2, 1)));
    CHECK(sig(t, "D2", "B")[2] == Approx(value(2, 6.5)));
    o.aggregate = cimpute::Aggregation::parse("best:distil_cc_q75");
    t = cimpute::read_signatures(gct, o);
    CHECK(sig(t, "D1", "A")[0] == value(0, 1)); // 0.7
    CHECK(sig(t, "D1", "B")[0] == value(0, 4)); // 0.1 beats the missing -666
    CHECK(sig(t, "D2", "B")[0] == value(0, 6)); // tie: the first
    o.aggregate = cimpute::Aggregation::parse("first");
    t = cimpute::read_signatures(gct, o);
    CHECK(sig(t, "D2", "B")[3] == value(3, 6));
  }
  SECTION("filters select before merging; != drops values; landmark genes by pr_is_lm") {
    o.filters = {cimpute::ColumnFilter::parse("pert_itime=24 h"),
                 cimpute::ColumnFilter::parse("pert_idose!=10 uM")};
    o.genes = "landmark";
    o.perturbation_field = "pert_iname";
    cimpute::SignatureReadReport r;
    const auto t = cimpute::read_signatures(gct, o, &r);
    // Left: s0 (D1,A), s3 (D2,A), s4 (D1,B), s6 (D2,B), s8 (D3,B): one per pair.
    CHECK(r.selection.filtered_out == 4);
    CHECK(r.selection.merged == 0);
    CHECK(t.num_observed() == 5);
    CHECK(t.perturbations().ids() == std::vector<std::string>{"drug1", "drug2", "drug3"});
    CHECK(t.features().ids() == std::vector<std::string>{"101", "103", "105"});
    CHECK(t.feature_symbols() == std::vector<std::string>{"G1", "G3", "G5"});
    CHECK(sig(t, "drug2", "B") == Eigen::Vector3d(value(0, 6), value(2, 6), value(4, 6)));
  }
  SECTION("--genes FILE by symbol or id; unknown filter fields list the fields") {
    write_text(dir / "genes.txt", "symbol\nG6\n102\nNOPE\n");
    o.genes = (dir / "genes.txt").string();
    o.aggregate = cimpute::Aggregation::parse("mean");
    cimpute::SignatureReadReport r;
    const auto t = cimpute::read_signatures(gct, o, &r);
    CHECK(t.features().ids() == std::vector<std::string>{"102", "106"});
    REQUIRE(!r.notes.empty());
    CHECK(r.notes.back().find("1 listed genes are not in the data") != std::string::npos);
    o.filters = {cimpute::ColumnFilter::parse("pert_time=24 h")};
    CHECK_THROWS_WITH(cimpute::read_signatures(gct, o),
                      Catch::Contains("filter field 'pert_time'") && Catch::Contains("pert_itime"));
    o.filters = {cimpute::ColumnFilter::parse("pert_itime=48 h")};
    CHECK_THROWS_WITH(cimpute::read_signatures(gct, o),
                      Catch::Contains("matches no column; its values are '24 h', '6 h'"));
  }
  SECTION("an id without a sidecar row has no pair: a clear error") {
    cimpute::write_gct(gct, level5_matrix(10));
    o.aggregate = cimpute::Aggregation::parse("mean");
    CHECK_THROWS_WITH(cimpute::read_signatures(gct, o),
                      Catch::Contains("column 's9' has no pert_id"));
    cimpute::SignatureReadReport r;
    o.filters = {cimpute::ColumnFilter::parse("pert_itime=24 h,6 h")};
    cimpute::read_signatures(gct, o, &r); // the filter drops it
    CHECK(r.selection.filtered_out == 1);
    CHECK(r.notes.front().find("1 of the data's 10 ids have no row (first: 's9')") !=
          std::string::npos);
  }
}

TEST_CASE("read_signatures: the 2020 release's names are used when CMap's are absent",
          "[io][sidecar]") {
  const auto dir = fixture_dir("level5_2020");
  write_2020_sidecars(dir);
  const auto gct = (dir / "level5.gct").string();
  cimpute::write_gct(gct, level5_matrix(10));
  cimpute::SignatureReadOptions o;
  o.col_meta = (dir / "siginfo_beta.txt").string();
  o.row_meta = (dir / "geneinfo_beta.txt").string();
  o.perturbation_field = "pert_iname";
  o.aggregate = cimpute::Aggregation::parse("best:cc_q75");
  o.genes = "landmark";
  cimpute::SignatureReadReport r;
  const auto t = cimpute::read_signatures(gct, o, &r);
  CHECK(r.perturbation_field == "cmap_name");
  CHECK(r.context_field == "cell_iname");
  std::string notes;
  for (const auto& n : r.notes) notes += n + "\n";
  CHECK(notes.find("no 'cell_id' field: using 'cell_iname', its name in the 2020 release") !=
        std::string::npos);
  CHECK(notes.find("no 'pert_iname' field: using 'cmap_name'") != std::string::npos);
  CHECK(t.features().ids() == std::vector<std::string>{"101", "103", "105"});
  CHECK(t.feature_symbols() == std::vector<std::string>{"G1", "G3", "G5"});
  CHECK(sig(t, "drug3", "A")[1] == value(2, 9));
  CHECK(sig(t, "drug1", "A")[0] == value(0, 1));
}

#if CIMPUTE_HAS_HDF5
TEST_CASE("read_signatures: a GCTX reads only the selected columns, with the GCT's result",
          "[io][sidecar][gctx]") {
  const auto dir = fixture_dir("level5_gctx");
  write_geo_sidecars(dir);
  const auto m = level5_matrix(9);
  cimpute::write_gct((dir / "l5.gct").string(), m);
  // Chunks span several samples and part of the genes, as cmapPy writes them.
  cimpute::GctxWriteOptions w;
  w.float64 = true;
  w.chunk_columns = 4;
  w.chunk_rows = 4;
  cimpute::write_gctx((dir / "l5.gctx").string(), m, w);
  cimpute::SignatureReadOptions o;
  o.col_meta = (dir / "sig_info.txt").string();
  o.row_meta = (dir / "gene_info.txt").string();
  o.filters = {cimpute::ColumnFilter::parse("cell_id=B")};
  o.genes = "landmark";
  o.aggregate = cimpute::Aggregation::parse("median");
  const auto a = cimpute::read_signatures((dir / "l5.gct").string(), o);
  const auto b = cimpute::read_signatures((dir / "l5.gctx").string(), o);
  CHECK(a.observed() == b.observed());
  CHECK(a.perturbations().ids() == b.perturbations().ids());
  CHECK(a.features().ids() == b.features().ids());
  CHECK(b.num_observed() == 3);

  SECTION("read_gctx by positions, in any order, equals the whole file's entries") {
    const auto info = cimpute::read_gctx_info((dir / "l5.gctx").string());
    const auto s =
        cimpute::read_gctx<double>((dir / "l5.gctx").string(), info, {5, 0, 3}, {8, 1, 2, 7});
    for (Eigen::Index i = 0; i < 3; ++i)
      for (Eigen::Index j = 0; j < 4; ++j)
        CHECK(s.data()(i, j) == m.data()(std::vector<Eigen::Index>{5, 0, 3}[i],
                                         std::vector<Eigen::Index>{8, 1, 2, 7}[j]));
    CHECK(s.col_ids() == std::vector<std::string>{"s8", "s1", "s2", "s7"});
    CHECK_THROWS_WITH(cimpute::read_gctx<double>((dir / "l5.gctx").string(), info, {0}, {1, 1}),
                      Catch::Contains("column position 1 is selected twice"));
  }
}

TEST_CASE("read_signatures: Perturb-seq pseudobulk relative to non-targeting, checked by hand",
          "[io][h5ad][pseudobulk]") {
  const std::string dir = "perturbseq/papalexi/";
  CIMPUTE_REQUIRE_DATA(dir + "papalexi_lowmoi.h5ad");
  CIMPUTE_REQUIRE_DATA(dir + "papalexi_lowmoi_response_counts.mtx.gz");
  cimpute::SignatureReadOptions o;
  o.perturbation_field = "grna_target";
  o.context_field = "bio_rep";
  o.aggregate = cimpute::Aggregation::parse("mean");
  o.normalize = cimpute::CountNormalization::Log1pCp10k;
  o.control = "non-targeting";
  cimpute::SignatureReadReport r;
  const auto t = cimpute::read_signatures(data_path(dir + "papalexi_lowmoi.h5ad"), o, &r);
  CHECK(r.selection.read == 20729);
  CHECK(t.num_contexts() == 3);
  CHECK(t.num_features() == 299);
  CHECK(t.perturbations().find("non-targeting") >= 0); // a label, but no signature of its own
  CHECK(t.num_observed() == 75);

  // Independently: the counts from the Matrix Market copy, the labels from the cell table.
  const auto counts =
      cimpute::read_mtx<double>(data_path(dir + "papalexi_lowmoi_response_counts.mtx.gz"));
  const auto cells = cimpute::read_delimited(data_path(dir + "papalexi_lowmoi_cell_meta.csv"));
  const auto genes = cimpute::read_delimited(data_path(dir + "papalexi_lowmoi_genes.tsv"));
  REQUIRE(counts.cols() == Eigen::Index(cells.rows.size()));
  const Eigen::MatrixXd x = Eigen::MatrixXd(counts.data());
  const std::size_t ct = cells.column("grna_target"), cr = cells.column("bio_rep");
  std::map<std::pair<std::string, std::string>, std::pair<Eigen::VectorXd, int>> sums;
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    const double total = x.col(j).sum();
    Eigen::VectorXd v = x.col(j);
    for (Eigen::Index g = 0; g < v.size(); ++g) v[g] = std::log(1.0 + 1e4 * v[g] / total);
    auto& s = sums[{cells.rows[std::size_t(j)][ct], cells.rows[std::size_t(j)][cr]}];
    if (s.second == 0) s.first = Eigen::VectorXd::Zero(v.size());
    s.first += v, ++s.second;
  }
  // read_signatures = hand pseudobulk of (target, replicate) minus the replicate's control.
  double worst = 0;
  for (const auto& [key, s] : sums) {
    if (key.first == "non-targeting") continue;
    const auto& ctrl = sums.at({"non-targeting", key.second});
    const Eigen::VectorXd want = s.first / s.second - ctrl.first / ctrl.second;
    worst = std::max(worst, (sig(t, key.first, key.second) - want).cwiseAbs().maxCoeff());
  }
  CHECK(worst < 1e-10);
  CHECK(t.features()[0] == genes.header[0]); // the same gene order (the genes file has no header)

  SECTION("cells filtered by a threshold, pooled over a sidecar field: the published table") {
    // The published pseudobulk: mean log1p(CP10k) per target over the cells whose top gRNA has
    // more than 80% of their gRNA counts, replicates pooled. Pooled here by a constant field
    // joined from a cell table (keyed by the h5ad's obs names).
    const auto side = cimpute_test::temp_dir() / "papalexi_screen.csv";
    {
      std::ofstream out(side);
      out << "cell,screen\n";
      for (const auto& row : cells.rows) out << row[0] << ",papalexi\n";
    }
    cimpute::SignatureReadOptions p = o;
    p.control.clear();
    p.context_field = "screen";
    p.col_meta = side.string();
    p.filters = {cimpute::ColumnFilter::parse("grna_max_frac>0.8")};
    const auto pooled = cimpute::read_signatures(data_path(dir + "papalexi_lowmoi.h5ad"), p, &r);
    CHECK(r.selection.filtered_out == 20729 - 16093);
    const auto published = cimpute::read_delimited(
        data_path(dir + "papalexi_lowmoi_pseudobulk_log1p_cp10k_by_target.csv"));
    REQUIRE(published.rows.size() == 299);
    double off = 0;
    for (std::size_t k = 1; k < published.header.size(); ++k) {
      const Eigen::VectorXd got = sig(pooled, published.header[k], "papalexi");
      for (std::size_t g = 0; g < published.rows.size(); ++g) {
        REQUIRE(published.rows[g][0] == pooled.features()[Eigen::Index(g)]);
        off = std::max(off, std::abs(got[Eigen::Index(g)] - std::stod(published.rows[g][k])));
      }
    }
    CHECK(off < 5e-6); // the table has 6 decimals
  }
}
#endif

TEST_CASE("read_signatures: shards share labels and together hold the unsharded signatures",
          "[io][sidecar][shard]") {
  const auto dir = fixture_dir("level5_shards");
  write_geo_sidecars(dir);
  const auto m = level5_matrix(9);
  std::vector<std::string> files{(dir / "l5.gct").string()};
  cimpute::write_gct(files[0], m);
#if CIMPUTE_HAS_HDF5
  files.push_back((dir / "l5.gctx").string());
  cimpute::write_gctx(files[1], m);
#endif
  cimpute::SignatureReadOptions o;
  o.col_meta = (dir / "sig_info.txt").string();
  o.aggregate = cimpute::Aggregation::parse("mean");
  for (const auto& file : files)
    for (const std::string control : {"", "D1"}) {
      o.control = control;
      o.shard_count = 1;
      o.shard_index = 0;
      const auto whole = cimpute::read_signatures(file, o);
      REQUIRE(whole.num_observed() == (control.empty() ? 5 : 3));
      CHECK_THROWS_WITH(
          [&] {
            o.shard_count = 7; // more shards than pairs
            o.shard_index = 6;
            return cimpute::read_signatures(file, o);
          }(),
          Catch::Contains("shard 6 of 7 has no pair"));
      for (int count : {2, 3}) {
        CAPTURE(file, control, count);
        Eigen::Index seen = 0;
        for (int k = 0; k < count; ++k) {
          o.shard_count = count;
          o.shard_index = k;
          const auto part = cimpute::read_signatures(file, o);
          CHECK(part.perturbations().ids() == whole.perturbations().ids());
          CHECK(part.contexts().ids() == whole.contexts().ids());
          CHECK(part.features().ids() == whole.features().ids());
          for (Eigen::Index r = 0; r < part.num_observed(); ++r) {
            const auto& q = part.observed_pairs()[std::size_t(r)];
            const Eigen::Index w = whole.pair_index(q.perturbation, q.context);
            REQUIRE(w >= 0);
            CHECK(part.observed().row(r) == whole.observed().row(w));
          }
          seen += part.num_observed();
        }
        CHECK(seen == whole.num_observed()); // each pair in exactly one shard
      }
    }
  o.shard_index = 3; // out of range
  o.shard_count = 3;
  CHECK_THROWS_WITH(cimpute::read_signatures(files[0], o),
                    Catch::Contains("need 0 <= shard_index < shard_count"));
}

TEST_CASE("the front ends' file rules: written formats, L1000 folders, context features auto",
          "[io][format]") {
  CHECK(cimpute::written_format("out/a.gct") == cimpute::FileFormat::Gct);
  CHECK(cimpute::written_format("A.GCTX") == cimpute::FileFormat::Gctx);
  CHECK(cimpute::written_format("x.h5ad") == cimpute::FileFormat::H5ad);
  CHECK_THROWS_WITH(cimpute::written_format("x.csv"),
                    Catch::Contains("written_format") && Catch::Contains("'x.csv'"));
  CHECK_THROWS_AS(cimpute::written_format("gct"), std::invalid_argument);

  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "cimpute_l1000_rule_test";
  fs::remove_all(dir);
  fs::create_directories(dir / "tenx");
  std::ofstream(dir / "tenx" / "matrix.mtx.gz") << "";
  std::ofstream(dir / "file.gct") << "";
  CHECK(cimpute::is_l1000_directory(dir.string()));
  CHECK_FALSE(cimpute::is_l1000_directory((dir / "tenx").string())); // a 10x folder
  CHECK_FALSE(cimpute::is_l1000_directory((dir / "file.gct").string()));
  CHECK_FALSE(cimpute::is_l1000_directory((dir / "absent").string()));
  CHECK_FALSE(cimpute::is_l1000_directory(""));
  CHECK(cimpute::resolve_context_features("auto", dir.string()) == "baseline");
  CHECK(cimpute::resolve_context_features("auto", (dir / "tenx").string()) == "none");
  CHECK(cimpute::resolve_context_features("none", dir.string()) == "none");
  CHECK(cimpute::resolve_context_features("features.csv", dir.string()) == "features.csv");
  fs::remove_all(dir);
}
