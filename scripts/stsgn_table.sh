#!/usr/bin/env bash
# The ST-SGN table of docs/results.md (issue #15): every model below, 3 initialisation seeds on
# the seed-0 video split of ../shared/data/ag_real_subset (70 / 15 / 15 % train / val / test
# videos), the default recipe, frame task; the held-out test mAP of each run is appended to
# $OUT/test.jsonl (val mAP beside it) and the table printed at the end. A seed already in
# $OUT/test.jsonl for that model and T is not run again, so an interrupted run resumes (a seed
# run twice counts once in the table).
#   scripts/stsgn_table.sh [OUT [MODEL ...]]   (default OUT: runs/stsgn_table; MODELS: all below)
# A model written NAME@0 runs at T = 0 (the frame alone) instead of the default T = 10 s.
# PYTHON picks the interpreter (default: the repository's .venv).
set -eu
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-runs/stsgn_table}"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
ALL=(relmat-bigru gine-person-bigru bank-only nn-person-bigru cg-person-bigru
     gine-person-bigru@0 relmat-bigru@0
     gine-mean-bigru gine-max-bigru cg-mean-bigru cg-max-bigru nn-mean-bigru nn-max-bigru)
if [ $# -gt 1 ]; then
    MODELS=("${@:2}")
    for m in "${MODELS[@]}"; do
        case " ${ALL[*]} " in *" ${m%@0} "*|*" ${m%@0}@0 "*) ;; *)
            echo "stsgn_table.sh: error: unknown model '$m' (one of: ${ALL[*]}; NAME@0 for T = 0)" >&2
            exit 2;;
        esac
    done
else
    MODELS=("${ALL[@]}")
fi
mkdir -p "$OUT"
for m in "${MODELS[@]}"; do
    name="${m%@0}"; extra=(train.eval_train=false); window=10.0
    [ "$m" != "$name" ] && { extra+=(data.window=0); window=0.0; }
    [ "$name" = bank-only ] && { args=(--bank-only); name=bank-only-sgfb; } || args=(--models "$name")
    seeds=()
    for s in 0 1 2; do
        grep -q "\"model\": \"$name\", \"seed\": $s,.*\"T\": $window," "$OUT/test.jsonl" \
            2>/dev/null || seeds+=("$s")
    done
    [ ${#seeds[@]} -eq 0 ] && continue
    OMP_NUM_THREADS=1 PYTHONPATH="$ROOT" "$PY" "$ROOT/bench/stsgn_protocol.py" \
        --data "$ROOT/../shared/data" "${args[@]}" --seeds "${seeds[@]}" --report test \
        --out "$OUT/test.jsonl" --runs "$OUT/runs/$m" "${extra[@]}"
done
PYTHONPATH="$ROOT" "$PY" "$ROOT/bench/stsgn_protocol.py" --table "$OUT/test.jsonl"
