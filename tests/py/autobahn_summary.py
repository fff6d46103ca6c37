"""Summarizes Autobahn's index.json (as kosoku writes it): one line of
counts per outcome, then one line per case that did not pass.

    python autobahn_summary.py DIR/index.json

Prints `cases N` and `OUTCOME N` lines (behavior of each case, the close
behavior counted apart as `close-OUTCOME N`), then `bad CASE BEHAVIOR
CLOSE` for every case whose behavior is not OK, NON-STRICT or
INFORMATIONAL or whose close behavior is not OK or INFORMATIONAL."""

import collections
import json
import sys

GOOD = {"OK", "NON-STRICT", "INFORMATIONAL"}
GOOD_CLOSE = {"OK", "INFORMATIONAL"}

with open(sys.argv[1]) as f:
    index = json.load(f)
cases = {}
for agent_cases in index.values():
    cases.update(agent_cases)
print("cases", len(cases))
for outcome, n in sorted(collections.Counter(c["behavior"] for c in cases.values()).items()):
    print(outcome, n)
for outcome, n in sorted(collections.Counter(c["behaviorClose"] for c in cases.values()).items()):
    print("close-" + outcome, n)


def key(case):
    return [int(p) for p in case.split(".")]


for case in sorted(cases, key=key):
    c = cases[case]
    if c["behavior"] not in GOOD or c["behaviorClose"] not in GOOD_CLOSE:
        print("bad", case, c["behavior"], c["behaviorClose"])
