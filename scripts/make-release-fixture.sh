#!/usr/bin/env bash
# Write tests/data/release-<rev>.duckdb.gz: a database as the release <rev> left it (schema, derived tables, one
# exported snapshot), made by that release's own code, for the upgrade test (tests/test_upgrade.py).
#   scripts/make-release-fixture.sh cc5541e
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: scripts/make-release-fixture.sh REV}
python=${PYTHON:-$PWD/.venv/bin/python}
out=$PWD/tests/data/release-$rev.duckdb
work=$(mktemp -d)
trap 'git worktree remove --force "$work/code" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

git worktree add --detach -q "$work/code" "$rev"
# two quarters of a small ledger, written with the release's own test helpers
(cd "$work/code" && "$python" - "$work" <<'PY'
import sys
from pathlib import Path
from tests.conftest import HEADER, problem_row, write_xlsx
out = Path(sys.argv[1])
write_xlsx(out / "2025年第一季度问题整改台账.xlsx", {"台账": [HEADER, problem_row(1, "A-1"),
           problem_row(2, "A-2", "已销号", closed="2025-03-20", unit="财务部"),
           problem_row(3, "A-3", source="信访", unit="采购部", deadline="2025-02-28")]})
write_xlsx(out / "2025年第二季度问题整改台账.xlsx", {"台账": [HEADER, problem_row(1, "A-1", "已整改"),
           problem_row(3, "A-3", source="信访", unit="采购部", deadline="2025-02-28"),
           problem_row(4, "A-4", unit="财务部", deadline="2025-09-30")]})
PY
)
rm -f "$out" "$out.wal"
export DASHBOARD_AUDIT=$work/audit.jsonl DASHBOARD_USERS=$work/users.json
(cd "$work/code" && "$python" -m analytics import --db "$out" "$work"/2025年第一季度问题整改台账.xlsx \
    "$work"/2025年第二季度问题整改台账.xlsx && \
  "$python" -m analytics export --db "$out" --period 2025Q2 --format xlsx --out "$work/snapshot.xlsx")
rm -rf "$out.backups"
gzip -9 -n -f "$out"  # 7 MB of mostly empty blocks: 50 KB compressed
echo "wrote $out.gz ($(du -h "$out.gz" | cut -f1))"
