# net_allow.sh, check j: the "net" tally of `burrow run --status-file`.
# Prints what is missing and exits 1.
import json, sys

try:
    doc = json.load(open(sys.argv[1]))
except (OSError, ValueError) as e:
    sys.exit("cannot read the status file: %s" % e)
net = {e.get("dest"): e for e in doc.get("net") or []}
bad = []
for dest, key in (("allowed.test:8080", "allowed"), ("dns other.test", "refused"),
                  ("10.77.0.3:7000", "refused")):
    if net.get(dest, {}).get(key, 0) < 1:
        bad.append('no "%s" with %s >= 1' % (dest, key))
if bad:
    sys.exit("; ".join(bad) + '; its "net" is ' + json.dumps(doc.get("net")))
