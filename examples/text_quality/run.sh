#!/bin/sh
# The text-quality example: agreement of the illustrative ratings, then automatic metrics per
# group with ratings, triangulation and the verdict table. Outputs go to ${1:-out/text_quality}.
# PERPLEXITY=0 skips perplexity (it loads SmolLM2, ~35 s); BERTScore loads all-MiniLM-L6-v2.
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-out/text_quality}
METRICS="bleu,chrf,ter,rouge,bertscore"
[ "${PERPLEXITY:-1}" = "1" ] && METRICS="$METRICS,perplexity"
equilens agreement --ratings "$HERE/ratings_illustrative.csv" --item item --rater rater \
    --score score --criterion criterion --sensitive group --level ordinal --out "$OUT/agreement"
equilens textmetrics --data "$HERE/generations.csv" --hypothesis smollm2,lead1 \
    --reference reference \
    --sensitive group --cluster article --metrics "$METRICS" --id id --ratings "$HERE/ratings_illustrative.csv" \
    --rubric "$HERE/rubric.yaml" --min-group-size 10 --out "$OUT/textmetrics"
# Gate and card with the raters' agreement (the illustrative raters agree poorly, so the
# agreement rule blocks: the gate exits 1).
equilens gate "$OUT/textmetrics/smollm2.chrf.json" --policy "$HERE/policy.yaml" \
    --agreement "$OUT/agreement/agreement.json" --dry-run --markdown "$OUT/gate.md" \
    || echo "gate exit code $?"
equilens card "$OUT/textmetrics/smollm2.chrf.json" --agreement "$OUT/agreement/agreement.json" \
    --out "$OUT/card"
