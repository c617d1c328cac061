#!/bin/sh
# npm start: compiles src/ to dist/ when a source changed since the last build, then replaces
# itself with node, so that a signal sent to npm start (a process manager's SIGTERM) reaches the
# gateway. tsc --build decides from dist/.tsbuildinfo in about a second; a full compile takes
# 7-12 s on a busy 2-core machine, and is needed only after a change.
set -eu

# tsc --build trusts its build info: if an output was deleted by hand, forget the build.
[ -f dist/src/main.js ] || rm -f dist/.tsbuildinfo

if tsc --build tsconfig.build.json --dry | grep -q 'is up to date'; then
  echo 'npm start: dist/ is current, not compiling' >&2
else
  echo 'npm start: compiling src/ to dist/' >&2
  tsc --build tsconfig.build.json
fi

exec node --max-old-space-size="${MAX_HEAP_MB:-512}" --max-semi-space-size=16 dist/src/main.js
