"""CI's dependency audit of the Lambda package's pinned, hashed requirements.

pip-audit alone prints "No known vulnerabilities found" and exits 0 when it could not
reach any vulnerability data (every pin "could not be audited"). This wrapper reads its
JSON and says which of three things happened:

- audited, nothing found: exit 0;
- audited, something found: list it and exit 1;
- not (fully) audited (no vulnerability data reachable, or pip-audit failed): say so
  plainly and exit 0, or exit 1 when MULTIGSI_AUDIT_REQUIRED=1 (for a CI with network).

Usage: python .ci/audit.py PIP_AUDIT REQUIREMENTS
"""

from __future__ import annotations

import json
import os
import subprocess
import sys


def main(pip_audit: str, requirements: str) -> int:
    if not os.path.isfile(requirements):
        print(f"DEPENDENCY AUDIT FAILED: no requirements file at {requirements}")
        return 1
    command = [pip_audit, "--require-hashes", "--disable-pip", "-r", requirements, "--format", "json"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    required = os.environ.get("MULTIGSI_AUDIT_REQUIRED") == "1"
    try:
        report = json.loads(result.stdout)
        dependencies = report["dependencies"]
    except (ValueError, KeyError, TypeError):
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"DEPENDENCY AUDIT DID NOT RUN: pip-audit exited {result.returncode}: {last}")
        return 1 if required else 0
    found = [(d["name"], d.get("version", "?"), v) for d in dependencies for v in d.get("vulns", [])]
    skipped = [d for d in dependencies if "skip_reason" in d]
    for name, version, vuln in found:
        fixes = ", ".join(vuln.get("fix_versions", [])) or "none yet"
        print(f"VULNERABLE: {name} {version}: {vuln.get('id')} (fixed in: {fixes})")
    if skipped:
        print(
            f"DEPENDENCY AUDIT INCOMPLETE: {len(skipped)} of {len(dependencies)} pins were NOT checked "
            f"(no vulnerability data reachable), e.g. {skipped[0]['skip_reason']}"
        )
    if found:
        return 1
    if skipped:
        return 1 if required else 0
    print(f"Dependency audit: {len(dependencies)} pins checked, no known vulnerabilities.")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
