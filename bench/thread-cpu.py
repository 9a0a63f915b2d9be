#!/usr/bin/env python3
"""CPU time of the threads of running processes, by thread name, between two snapshots.

Used to see where the expert processes of `moe up` spend CPU during a benchmark (docs/performance.md):

    bench/thread-cpu.py snap expert-service-exec        # before
    ... run N layer steps ...
    bench/thread-cpu.py report expert-service-exec N    # after: ms of CPU per step, by thread name

Processes are those whose command line contains the pattern (pgrep -f). Digits in thread names are
folded ("expert-worker-1" and "expert-worker-2" count as "expert-worker-#"). Linux only (/proc).
"""
import collections
import json
import os
import re
import subprocess
import sys
import tempfile

STATE = os.path.join(tempfile.gettempdir(), "moemesh-thread-cpu.json")
TICKS = os.sysconf("SC_CLK_TCK")


def snapshot(pattern):
    ticks = collections.Counter()
    pids = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
    for pid in pids:
        if int(pid) == os.getpid():
            continue
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/stat") as f:
                    stat = f.read()
                name = stat[stat.index("(") + 1:stat.rindex(")")]
                fields = stat[stat.rindex(")") + 2:].split()
                ticks[re.sub(r"\d+", "#", name)] += int(fields[11]) + int(fields[12])  # utime + stime
        except (FileNotFoundError, ProcessLookupError):
            pass  # exited between listing and reading
    return ticks, len(pids)


def main(argv):
    if len(argv) == 3 and argv[1] == "snap":
        ticks, processes = snapshot(argv[2])
        with open(STATE, "w") as f:
            json.dump(ticks, f)
        print(f"{processes} processes matching {argv[2]!r}")
    elif len(argv) == 4 and argv[1] == "report":
        with open(STATE) as f:
            before = collections.Counter(json.load(f))
        after, processes = snapshot(argv[2])
        steps = int(argv[3])
        per_step = {name: (after[name] - before.get(name, 0)) * 1000 / TICKS / steps for name in after}
        print(f"{processes} processes, CPU ms per step: total {sum(per_step.values()):.2f}")
        for name, ms in sorted(per_step.items(), key=lambda item: -item[1])[:10]:
            print(f"  {name:<24} {ms:8.2f}")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
