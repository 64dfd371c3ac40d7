// io: the readers and writers, read_signatures and select_signatures.
#include "common.hpp"

#include <cimpute/completion/ntk_completion.hpp> // context_features_from_baselines
#include <cimpute/io.hpp>

#include <Eigen/SparseCore>
#include <pybind11/numpy.h>

#include <cmath>

namespace cimpute_py {
namespace {

using Labeled = cimpute::LabeledMatrix<double>;

py::dict labeled_dict(const Labeled& x) {
  py::dict d;
  d["data"] = Eigen::MatrixXd(x.data());
  d["row_ids"] = x.row_ids();
  d["col_ids"] = x.col_ids();
  d["row_meta"] = to_dict(x.row_meta());
  d["col_meta"] = to_dict(x.col_meta());
  return d;
}

Labeled labeled_from(Eigen::Ref<const Eigen::MatrixXd> data, std::vector<std::string> row_ids,
                     std::vector<std::string> col_ids, const py::dict& row_meta,
                     const py::dict& col_meta) {
  auto rm = to_metadata(row_meta, data.rows(), "row metadata");
  auto cm = to_metadata(col_meta, data.cols(), "column metadata");
  return Labeled(data, std::move(row_ids), std::move(col_ids), std::move(rm), std::move(cm));
}

// The selection of select_signatures / select_sparse_signatures from the Python arguments.
cimpute::SignatureSelection selection(const std::string& perturbation, const std::string& context,
                                      const std::vector<std::string>& filters,
                                      const std::string& aggregate,
                                      const std::string& symbol_field) {
  cimpute::SignatureSelection s;
  s.perturbation_field = perturbation;
  s.context_field = context;
  for (const auto& f : filters) s.filters.push_back(cimpute::ColumnFilter::parse(f));
  s.aggregate = cimpute::Aggregation::parse(aggregate);
  s.symbol_field = symbol_field;
  return s;
}

// (tensor, {read, filtered_out, merged, pairs}).
py::tuple selection_result(Tensor t, const cimpute::SelectionReport& r) {
  py::dict d;
  d["read"] = r.read;
  d["filtered_out"] = r.filtered_out;
  d["merged"] = r.merged;
  d["pairs"] = r.pairs;
  return py::make_tuple(std::move(t), d);
}

py::dict report_dict(const cimpute::SignatureReadReport& r) {
  py::dict d;
  d["read"] = r.selection.read;
  d["filtered_out"] = r.selection.filtered_out;
  d["merged"] = r.selection.merged;
  d["pairs"] = r.selection.pairs;
  d["features_read"] = r.features_read;
  d["features_kept"] = r.features_kept;
  d["perturbation_field"] = r.perturbation_field;
  d["context_field"] = r.context_field;
  d["notes"] = r.notes;
  return d;
}

} // namespace

void bind_io(py::module_& m) {
  m.def(
      "read_l1000_directory",
      [](const std::string& dir) {
        py::gil_scoped_release nogil;
        return cimpute::read_l1000_directory<double>(dir);
      },
      py::arg("path"));
  m.def(
      "read_l1000_baselines",
      [](const std::string& dir, const std::vector<std::string>& contexts) {
        return cimpute::read_l1000_baselines(dir, contexts);
      },
      py::arg("path"), py::arg("contexts"));
  m.def("is_l1000_directory", &cimpute::is_l1000_directory, py::arg("path"),
        "Whether the front ends read path as an L1000 directory");
  m.def("resolve_context_features", &cimpute::resolve_context_features, py::arg("value"),
        py::arg("data"), "What context_features='auto' means for data read from a path");
  m.def("context_features_from_baselines", &cimpute::context_features_from_baselines,
        py::arg("baselines"));
  m.def(
      "read_signatures",
      [](const std::string& path, const std::string& perturbation, const std::string& context,
         const std::vector<std::string>& filters, const std::string& aggregate,
         const std::string& col_meta, const std::string& row_meta, const std::string& genes,
         const std::string& normalize, const std::string& control, const std::string& matrix) {
        cimpute::SignatureReadOptions o;
        o.perturbation_field = perturbation;
        o.context_field = context;
        for (const auto& f : filters) o.filters.push_back(cimpute::ColumnFilter::parse(f));
        o.aggregate = cimpute::Aggregation::parse(aggregate);
        o.col_meta = col_meta;
        o.row_meta = row_meta;
        o.genes = genes;
        o.normalize = cimpute::parse_count_normalization(normalize);
        o.control = control;
        o.h5ad_matrix = matrix;
        cimpute::SignatureReadReport r;
        Tensor t;
        {
          py::gil_scoped_release nogil;
          t = cimpute::read_signatures<double>(path, o, &r);
        }
        return py::make_tuple(std::move(t), report_dict(r));
      },
      py::arg("path"), py::arg("perturbation"), py::arg("context"), py::arg("filters"),
      py::arg("aggregate"), py::arg("col_meta"), py::arg("row_meta"), py::arg("genes"),
      py::arg("normalize"), py::arg("control"), py::arg("matrix"));
  m.def(
      "select_signatures",
      [](Eigen::Ref<const Eigen::MatrixXd> data, std::vector<std::string> row_ids,
         std::vector<std::string> col_ids, const py::dict& row_meta, const py::dict& col_meta,
         const std::string& perturbation, const std::string& context,
         const std::vector<std::string>& filters, const std::string& aggregate,
         const std::string& symbol_field) {
        const Labeled x =
            labeled_from(data, std::move(row_ids), std::move(col_ids), row_meta, col_meta);
        cimpute::SelectionReport r;
        Tensor t = cimpute::select_signatures(
            x, selection(perturbation, context, filters, aggregate, symbol_field), &r);
        return selection_result(std::move(t), r);
      },
      py::arg("data"), py::arg("row_ids"), py::arg("col_ids"), py::arg("row_meta"),
      py::arg("col_meta"), py::arg("perturbation"), py::arg("context"), py::arg("filters"),
      py::arg("aggregate"), py::arg("symbol_field"));
  m.def(
      "select_sparse_signatures",
      [](py::array_t<double, py::array::c_style | py::array::forcecast> values,
         py::array_t<int, py::array::c_style | py::array::forcecast> indices,
         py::array_t<int, py::array::c_style | py::array::forcecast> indptr, Eigen::Index rows,
         Eigen::Index cols, std::vector<std::string> row_ids, std::vector<std::string> col_ids,
         const py::dict& row_meta, const py::dict& col_meta, const std::string& perturbation,
         const std::string& context, const std::vector<std::string>& filters,
         const std::string& aggregate, const std::string& symbol_field) {
        const char* fn = "select_sparse_signatures";
        if (indptr.size() != cols + 1 || indices.size() != values.size())
          cimpute::detail::throw_invalid(
              fn, "inconsistent compressed-column arrays: ", indptr.size(), " column pointers for ",
              cols, " columns, ", indices.size(), " indices for ", values.size(), " values");
        // A copy into Eigen's storage (checked: sorted, in range) keeps the sparsity.
        using Sparse = Eigen::SparseMatrix<double>;
        std::vector<Eigen::Triplet<double>> triplets;
        triplets.reserve(std::size_t(values.size()));
        const int* p = indptr.data();
        const int* ix = indices.data();
        const double* v = values.data();
        for (Eigen::Index j = 0; j < cols; ++j) {
          if (p[j] > p[j + 1] || p[j + 1] > values.size())
            cimpute::detail::throw_invalid(fn, "column pointers decrease or overrun at column ", j);
          for (int k = p[j]; k < p[j + 1]; ++k) {
            if (ix[k] < 0 || ix[k] >= rows)
              cimpute::detail::throw_invalid(fn, "row index ", ix[k], " out of range [0, ", rows,
                                             ") in column ", j);
            if (!std::isfinite(v[k]))
              cimpute::detail::throw_invalid(fn, "non-finite value ", v[k], " at row ", ix[k],
                                             ", column ", j);
            triplets.emplace_back(ix[k], int(j), v[k]);
          }
        }
        Sparse data(rows, cols);
        data.setFromTriplets(triplets.begin(), triplets.end());
        const cimpute::SparseLabeledMatrix<double> x(
            std::move(data), std::move(row_ids), std::move(col_ids),
            to_metadata(row_meta, rows, "row metadata"),
            to_metadata(col_meta, cols, "column metadata"));
        cimpute::SelectionReport r;
        Tensor t = cimpute::select_sparse_signatures(
            x, selection(perturbation, context, filters, aggregate, symbol_field), &r);
        return selection_result(std::move(t), r);
      },
      py::arg("values"), py::arg("indices"), py::arg("indptr"), py::arg("rows"), py::arg("cols"),
      py::arg("row_ids"), py::arg("col_ids"), py::arg("row_meta"), py::arg("col_meta"),
      py::arg("perturbation"), py::arg("context"), py::arg("filters"), py::arg("aggregate"),
      py::arg("symbol_field"));
  m.def(
      "read_gct",
      [](const std::string& path) { return labeled_dict(cimpute::read_gct<double>(path)); },
      py::arg("path"));
  m.def(
      "write_gct",
      [](const std::string& path, Eigen::Ref<const Eigen::MatrixXd> data,
         std::vector<std::string> row_ids, std::vector<std::string> col_ids,
         const py::dict& row_meta, const py::dict& col_meta) {
        cimpute::write_gct(
            path, labeled_from(data, std::move(row_ids), std::move(col_ids), row_meta, col_meta));
      },
      py::arg("path"), py::arg("data"), py::arg("row_ids"), py::arg("col_ids"), py::arg("row_meta"),
      py::arg("col_meta"));
  m.def(
      "rename_features",
      [](const Tensor& t, const std::unordered_map<std::string, std::string>& mapping,
         bool drop_unmapped) { return cimpute::rename_features(t, mapping, drop_unmapped); },
      py::arg("tensor"), py::arg("mapping"), py::arg("drop_unmapped"));
  m.def("read_id_mapping", &cimpute::read_id_mapping, py::arg("path"),
        py::arg("from") = "pr_gene_id", py::arg("to") = "pr_gene_symbol");
  m.def(
      "read_gene_signature",
      [](const std::string& path) {
        const auto s = cimpute::read_gene_signature(path);
        return py::make_tuple(s.ids, Eigen::VectorXd(s.values));
      },
      py::arg("path"));
#if CIMPUTE_HAS_HDF5
  m.def(
      "read_gctx",
      [](const std::string& path, const std::vector<std::string>& rows,
         const std::vector<std::string>& cols) {
        Labeled x;
        {
          py::gil_scoped_release nogil;
          x = cimpute::read_gctx<double>(path, cimpute::GctxSelection{rows, cols});
        }
        return labeled_dict(x);
      },
      py::arg("path"), py::arg("rows"), py::arg("cols"));
  m.def(
      "write_gctx",
      [](const std::string& path, Eigen::Ref<const Eigen::MatrixXd> data,
         std::vector<std::string> row_ids, std::vector<std::string> col_ids,
         const py::dict& row_meta, const py::dict& col_meta, bool float64) {
        cimpute::GctxWriteOptions o;
        o.float64 = float64;
        cimpute::write_gctx(
            path, labeled_from(data, std::move(row_ids), std::move(col_ids), row_meta, col_meta),
            o);
      },
      py::arg("path"), py::arg("data"), py::arg("row_ids"), py::arg("col_ids"), py::arg("row_meta"),
      py::arg("col_meta"), py::arg("float64") = false);
  m.def(
      "write_h5ad",
      [](const std::string& path, Eigen::Ref<const Eigen::MatrixXd> data,
         std::vector<std::string> row_ids, std::vector<std::string> col_ids,
         const py::dict& row_meta, const py::dict& col_meta, bool float64) {
        cimpute::write_h5ad(
            path, labeled_from(data, std::move(row_ids), std::move(col_ids), row_meta, col_meta),
            float64);
      },
      py::arg("path"), py::arg("data"), py::arg("row_ids"), py::arg("col_ids"), py::arg("row_meta"),
      py::arg("col_meta"), py::arg("float64") = false);
  m.def(
      "read_h5ad",
      [](const std::string& path, const std::string& matrix) {
        cimpute::H5adOptions o;
        o.matrix = matrix;
        cimpute::SparseLabeledMatrix<double> x;
        {
          py::gil_scoped_release nogil;
          x = cimpute::read_h5ad<double>(path, o);
        }
        // Compressed columns of features x cells = compressed rows (CSR) of cells x features.
        const auto& s = x.data();
        py::dict d;
        d["data"] = std::vector<double>(s.valuePtr(), s.valuePtr() + s.nonZeros());
        d["indices"] =
            std::vector<std::int64_t>(s.innerIndexPtr(), s.innerIndexPtr() + s.nonZeros());
        d["indptr"] =
            std::vector<std::int64_t>(s.outerIndexPtr(), s.outerIndexPtr() + s.outerSize() + 1);
        d["shape"] = py::make_tuple(x.cols(), x.rows());
        d["row_ids"] = x.row_ids();
        d["col_ids"] = x.col_ids();
        d["row_meta"] = to_dict(x.row_meta());
        d["col_meta"] = to_dict(x.col_meta());
        return d;
      },
      py::arg("path"), py::arg("matrix") = "X");
#endif
}

} // namespace cimpute_py
