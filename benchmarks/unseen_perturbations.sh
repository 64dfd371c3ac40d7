#!/bin/sh
# Unseen knock-downs on the L1000 shRNA table (issue 32): 5 folds of perturbations, each held out
# of every cell line, on the four lines together and on each alone; the baselines, the linear
# model and ntk on the pca:10 prior; the field's metrics as extra columns. Prints one table per
# run (means, and standard errors over the seeds).
# usage: benchmarks/unseen_perturbations.sh [CIMPUTE_BINARY] [DATA_DIR] [SEEDS]
set -e
BIN=${1:-build/tests/bin/cimpute}
DATA=${2:-../shared/data}
SEEDS=${3:-3}
GCT=$DATA/l1000_shrna/lincs_shrna_knockdowns_4cells.gct
if [ ! -f "$GCT" ]; then
  echo "SKIPPED: $GCT is absent" >&2
  exit 0
fi
run() {
  "$BIN" complete --data "$GCT" --control LUCIFERASE --reference-context none \
    --protocol unseen-perturbation:5 --seeds "$SEEDS" \
    --methods no-change,training-mean,dnpp,linear,ntk --perturbation-features pca:10 \
    --metrics pearson-delta,pds,mse,pearson-delta-de20,mse-de20 --quiet "$@"
}
echo "# all four cell lines"
run
for cell in A375 A549 MCF7 PC3; do
  echo "# $cell"
  run --filter "cell_id=$cell"
done
