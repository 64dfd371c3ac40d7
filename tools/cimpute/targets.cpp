// `cimpute targets`: putative causal drug targets from single-cell expression, an interactome, a
// disease signature and a drug-target table (the causal half of the SARS-CoV-2 repurposing
// study): optional Steiner forest, discovery with the interactome as skeleton and stability
// selection, targets ranked by the disease genes downstream of them.
#include "cli.hpp"
#include "progress.hpp"
#include "samples.hpp"

#include <cimpute/io.hpp>
#include <cimpute/workflow/causal_targets.hpp>

#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>

namespace cimpute_cli {

namespace {

struct TargetsOptions {
  std::string expression, interactome, prizes, signature, drug_targets, method = "gsp";
  std::string out, edges_out, format = "csv", target, shrinkage = "auto";
  bool genes_in_rows = false, quiet = false, alphas_given = false;
  cimpute::CausalTargetsOptions o;
};

std::string join(const std::vector<std::string>& v, char sep) {
  std::string s;
  for (std::size_t k = 0; k < v.size(); ++k) s += (k ? std::string(1, sep) : "") + v[k];
  return s;
}

int run_targets(TargetsOptions t) {
  cimpute::CausalTargetsOptions& o = t.o;
  o.discovery.method = cimpute::parse_discovery_method(t.method, false);
  if (o.discovery.method == cimpute::DiscoveryMethod::Gies) {
    // GIES scores (BIC) and runs no tests: the stability selection is over resamples only.
    if (t.alphas_given)
      throw UsageError(
          "--alphas are test levels; --method gies runs no tests (leave --alphas out)");
    o.discovery.alphas.clear();
  }
  o.discovery.shrinkage = t.shrinkage == "auto" ? -1.0 : std::stod(t.shrinkage);
  // As cimpute discover: at least as many candidate orders as runs.
  o.discovery.search.candidates = std::max(o.discovery.search.candidates, o.discovery.search.runs);
  // Genes x cells (--genes-in-rows) or cells x genes; read_table makes records the columns.
  const cimpute::LabeledMatrix<double> m = cimpute::read_table<double>(t.expression);
  const Eigen::MatrixXd cells =
      t.genes_in_rows ? Eigen::MatrixXd(m.data()) : Eigen::MatrixXd(m.data().transpose());
  const std::vector<std::string>& genes = t.genes_in_rows ? m.col_ids() : m.row_ids();
  const cimpute::Interactome net = cimpute::read_interactome(t.interactome);
  if (net.repeated_pairs + net.self_loops > 0)
    note(t.quiet, "interactome: " + std::to_string(net.repeated_pairs) +
                      " repeated pairs merged (lowest cost), " + std::to_string(net.self_loops) +
                      " self-loops left out");
  std::optional<Eigen::VectorXd> prizes;
  if (!t.prizes.empty()) {
    const cimpute::NodePrizes p = cimpute::read_node_prizes(t.prizes, net.network);
    if (!p.absent.empty())
      note(t.quiet,
           "prizes: " + std::to_string(p.absent.size()) + " names are not in the interactome");
    prizes = p.prizes;
  }
  const cimpute::GeneSignature signature = cimpute::read_gene_signature(t.signature);
  const auto drugs = cimpute::read_drug_targets(t.drug_targets);

  const int total = o.discovery.bootstrap;
  ProgressLine progress("cimpute targets", total, ProgressLine::wanted(t.quiet));
  progress.start("bootstrap 1/" + std::to_string(total));
  o.discovery.bootstrap_progress = [&](int done, int all) {
    progress.set_done(done, "bootstrap " + std::to_string(std::min(done + 1, all)) + "/" +
                                std::to_string(all));
  };
  const cimpute::CausalTargetsResult r =
      cimpute::causal_targets(cells, genes, net.network, signature, drugs, o, prizes);
  progress.finish();
  std::ostringstream summary;
  summary << r.genes.size() << " genes (" << r.unexpressed << " expressed in at most "
          << o.min_expressed << " of the " << cells.rows() << " cells, " << r.outside_network
          << " outside the " << (prizes ? "Steiner forest" : "interactome") << " left out), "
          << r.signature_genes_in_graph << " disease genes among them; "
          << r.stable.num_arcs() + r.stable.num_undirected() << " edges adjacent in at least "
          << o.threshold << " of " << o.discovery.bootstrap << " resamples (" << r.stable.num_arcs()
          << " directed); " << r.targets.size() << " drug targets";
  note(t.quiet, summary.str());

  auto write_table = [&](std::ostream& os) {
    os << "target,drugs,descendants,disease_descendants,score,possible_descendants,"
          "possible_disease_descendants,possible_score,log2fc\n";
    for (const auto& x : r.targets)
      os << x.gene << ',' << join(x.drugs, ';') << ',' << x.descendants.size() << ','
         << x.disease_descendants << ',' << x.score << ',' << x.possible_descendants.size() << ','
         << x.possible_disease_descendants << ',' << x.possible_score << ','
         << (x.disease_gene ? std::to_string(x.log2fc) : std::string()) << '\n';
  };
  if (t.format == "dot") {
    const std::string target =
        !t.target.empty() ? t.target : (r.targets.empty() ? std::string() : r.targets[0].gene);
    if (target.empty()) throw UsageError("no drug target to draw");
    cimpute::write_target_dot(std::cout, r.stable, r.genes, target, signature);
  } else {
    write_table(std::cout);
  }
  if (!t.out.empty()) cimpute::detail::write_file_atomic(t.out, "cimpute targets", write_table);
  if (!t.edges_out.empty())
    cimpute::detail::write_file_atomic(t.edges_out, "cimpute targets", [&](std::ostream& os) {
      os << "cause,effect,frequency\n";
      for (const auto& e : cimpute::edge_frequencies(r))
        os << e.cause << ',' << e.effect << ',' << e.frequency << '\n';
    });
  return 0;
}

} // namespace

Command add_targets(CLI::App& cimpute) {
  auto t = std::make_shared<TargetsOptions>();
  CLI::App* sub = cimpute.add_subcommand(
      "targets",
      "Putative causal drug targets: learn a causal graph over the expressed genes of a "
      "single-cell table with the interactome as the allowed skeleton (stability selection "
      "over resamples and test levels), then rank the genes hit by drugs by the disease genes "
      "downstream of them (descendants along arcs; through undirected edges counted apart). "
      "With --prizes the prize-collecting Steiner forest first selects the interactome's genes.");
  sub->add_option("--expression", t->expression,
                  "expression table (CSV / TSV): cells x genes, or genes x cells with "
                  "--genes-in-rows")
      ->type_name("FILE")
      ->required();
  sub->add_flag("--genes-in-rows", t->genes_in_rows, "the expression table has a gene per row");
  sub->add_option("--min-expressed", t->o.min_expressed,
                  "keep genes non-zero in more than this share of the cells")
      ->check(CLI::Range(0.0, 0.999999))
      ->capture_default_str();
  sub->add_option("--interactome", t->interactome,
                  "protein1,protein2,cost table: the allowed skeleton (genes outside it are left "
                  "out, counted)")
      ->type_name("FILE")
      ->required();
  sub->add_option("--prizes", t->prizes,
                  "name,prize table: run the prize-collecting Steiner forest first (--w, --b, "
                  "--g); its genes, and the interactome's edges among them, are kept")
      ->type_name("FILE");
  sub->add_option("--w", t->o.steiner.w, "Steiner forest: cost of each tree")
      ->check(non_negative_number())
      ->capture_default_str();
  sub->add_option("--b", t->o.steiner.b, "Steiner forest: prize scale")
      ->check(non_negative_number())
      ->capture_default_str();
  sub->add_option("--g", t->o.steiner.g, "Steiner forest: hub penalty exponent")
      ->capture_default_str();
  sub->add_option("--signature", t->signature, "the disease signature: gene,log2fc")
      ->type_name("FILE")
      ->required();
  sub->add_option("--drug-targets", t->drug_targets,
                  "drug-target table: gene in column name (else the first), drug in column drug "
                  "(else the second)")
      ->type_name("FILE")
      ->required();
  sub->add_option("--method", t->method,
                  "the structure learner: gsp, igsp, utigsp, pc or gies (scores with the BIC, runs "
                  "no tests: --alphas, --runs, --shrinkage and --fixed-gaps do not apply)")
      ->check(CLI::IsMember({"gsp", "igsp", "utigsp", "pc", "gies"}))
      ->capture_default_str();
  CLI::Option* alphas =
      sub->add_option("--alphas", t->o.discovery.alphas, "test levels of the stability selection")
          ->delimiter(',')
          ->type_name("LIST")
          ->check(unit_interval(false));
  sub->add_option("--bootstrap", t->o.discovery.bootstrap, "resamples")
      ->check(positive_integer())
      ->capture_default_str();
  sub->add_option("--runs", t->o.discovery.search.runs, "starting orders per search")
      ->check(positive_integer())
      ->capture_default_str();
  sub->add_option("--threshold", t->o.threshold,
                  "keep the edges adjacent in at least this share of the resamples")
      ->check(unit_interval(true))
      ->capture_default_str();
  sub->add_option("--shrinkage", t->shrinkage,
                  "covariance shrinkage towards its diagonal for the Gaussian tests: auto "
                  "(Schafer-Strimmer) or a number in [0, 1]")
      ->check(CLI::IsMember({"auto"}) | CLI::Range(0.0, 1.0))
      ->capture_default_str();
  sub->add_flag("--fixed-gaps", t->o.fixed_gaps,
                "never test pairs outside the interactome (causaldag's fixed_gaps, as the "
                "published analysis; see cimpute discover --help)");
  sub->add_option("--seed", t->o.discovery.search.seed, "seed of the resamples and orders")
      ->check(non_negative_integer())
      ->capture_default_str();
  sub->add_option("--out", t->out, "also write the target table there (CSV)")
      ->type_name("FILE")
      ->check(output_path());
  sub->add_option("--edges-out", t->edges_out,
                  "edge frequencies: CSV cause,effect,frequency (an edge the stable graph leaves "
                  "undirected, or below the threshold, listed both ways with its adjacency "
                  "frequency)")
      ->type_name("FILE")
      ->check(output_path());
  sub->add_option("--format", t->format,
                  "csv: the target table; dot: the downstream graph of --target (default: the "
                  "top-ranked target)")
      ->check(CLI::IsMember({"csv", "dot"}))
      ->capture_default_str();
  sub->add_option("--target", t->target, "with --format dot: the target to draw");
  sub->add_flag("--quiet", t->quiet, "no progress and notes on stderr");
  sub->footer("Prints the target table (target, drugs, descendants, disease_descendants, score, "
              "possible_descendants, possible_disease_descendants, possible_score, log2fc) on "
              "stdout, sorted by score. Example (the published settings): cimpute targets "
              "--expression a549_scrnaseq_252genes_log2.csv --genes-in-rows --interactome "
              "ppi_subnetwork_252genes.csv --signature sarscov2_a549_log2fc.csv --drug-targets "
              "drug_targets_in_network.tsv");
  return {sub, [t, alphas] {
            t->alphas_given = alphas->count() > 0;
            return run_targets(*t);
          }};
}

} // namespace cimpute_cli
