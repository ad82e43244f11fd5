# SPDX-License-Identifier: BSD-3-Clause
"""What every lab run leaves in its output directory besides its own results. Stdlib only."""
import os
import shutil
import subprocess


def copy_outputs(work, out, extras):
    """WORK/logs/ to OUT/logs/ (an older OUT/logs/ is replaced), and each file named in extras that the run
    wrote to WORK. Returns OUT/logs."""
    logs_out = os.path.join(out, "logs")
    if os.path.isdir(logs_out):
        shutil.rmtree(logs_out)
    shutil.copytree(os.path.join(work, "logs"), logs_out)
    for extra in extras:
        if os.path.exists(os.path.join(work, extra)):
            shutil.copy(os.path.join(work, extra), os.path.join(out, extra))
    return logs_out


def tool_versions(commands, timeout, width):
    """{name: first line of the command's output, cut to width, or None} for (name, argv) in commands."""
    v = {}
    for name, args in commands:
        try:
            r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
            v[name] = r.stdout.decode(errors="replace").strip().splitlines()[0][:width]
        except Exception:  # noqa: BLE001 - a missing or odd tool is recorded as None
            v[name] = None
    return v
