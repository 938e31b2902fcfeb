#!/bin/sh
# Runs manager_browser.js with Node.js, or skips (77) where there is none.
if ! command -v node >/dev/null 2>&1; then
    echo "manager_browser: no node (Node.js); skipping" >&2
    exit 77
fi
exec node "$(dirname "$0")/manager_browser.js" "$@"
