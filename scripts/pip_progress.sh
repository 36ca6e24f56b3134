#!/usr/bin/env bash
# Reads pip's output on stdin: appends all of it to the log named in $1 and prints one short
# line per package pip collects, so a first install (a few minutes, ~1.5 GB) is never silent.
set -uo pipefail
log=$1
n=0
wrote=0
while IFS= read -r line; do
  printf '%s\n' "$line" >>"$log"
  case "$line" in
    Collecting\ *)
      n=$((n + 1))
      name=${line#Collecting }
      printf '      %3d  %s\n' "$n" "${name%% *}";;
    "Installing collected packages: "*)
      wrote=1
      names=${line#Installing collected packages: }
      printf '      writing %d package(s) into .venv…\n' "$(( $(printf '%s' "$names" | tr -cd ',' | wc -c) + 1 ))";;
  esac
done
if [ "$n" -eq 0 ] && [ "$wrote" -eq 0 ]; then
  printf '      already installed\n'
fi
