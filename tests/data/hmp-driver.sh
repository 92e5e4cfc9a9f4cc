# The monitor driver that the fixture scripts share: source it after setting QEMU and TIMEOUT.
# It starts QEMU with its HMP monitor on stdio, runs commands, waits for migrations and quits.
# shellcheck shell=bash

TMP="$(mktemp -d)"
QPID=""
cleanup() {
  exec 3>&- 2>/dev/null || true
  if [[ -n "$QPID" ]] && kill -0 "$QPID" 2>/dev/null; then kill "$QPID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

# --- tiny HMP driver ------------------------------------------------------------------------
# QEMU's stdout (the monitor) goes to $OUT; commands are written to a FIFO on fd 3.  A command
# is finished when the number of "(qemu) " prompts in $OUT grows by one.  The text between
# prompt k and prompt k+1 is the (readline-echoed) command k followed by its output.

prompts() { grep -o -F '(qemu) ' "$OUT" | wc -l; }

wait_prompts() { # $1 = expected prompt count
  local deadline=$((SECONDS + TIMEOUT))
  while (( $(prompts) < $1 )); do
    if ! kill -0 "$QPID" 2>/dev/null; then
      echo "error: qemu exited unexpectedly; stderr:" >&2; cat "$ERR" >&2; exit 1
    fi
    if (( SECONDS > deadline )); then echo "error: monitor timeout" >&2; exit 1; fi
    sleep 0.05
  done
}

start_qemu() { # args: qemu arguments
  OUT="$TMP/monitor.out"; ERR="$TMP/monitor.err"; : >"$OUT"; : >"$ERR"
  rm -f "$TMP/monitor.in"; mkfifo "$TMP/monitor.in"
  "$QEMU" "$@" <"$TMP/monitor.in" >"$OUT" 2>"$ERR" &
  QPID=$!
  exec 3>"$TMP/monitor.in"
  NPROMPT=1
  wait_prompts 1
}

# hmp CMD: run a monitor command; its output (ANSI/echo/CR stripped) is left in $TMP/last.txt
hmp() {
  printf '%s\n' "$1" >&3
  NPROMPT=$((NPROMPT + 1))
  wait_prompts "$NPROMPT"
  perl -0777 -ne '
    my @seg = split /\(qemu\) /, $_;
    my $s = $seg['"$((NPROMPT - 1))"'];
    $s =~ s/\e\[[0-9;]*[A-Za-z]//g; $s =~ s/\r//g;
    $s =~ s/^[^\n]*\n//;          # drop the echoed command line
    print $s;' "$OUT" >"$TMP/last.txt"
}

# capture CMD FILE: run CMD and save its output (prefixed by the command) to FILE
capture() {
  hmp "$1"
  { printf '(qemu) %s\n' "$1"; cat "$TMP/last.txt"; } >"$2.tmp"
  mv "$2.tmp" "$2"
}

migrate_to() { # $1 = destination file, $2 = migration URI (default: exec:cat > $1)
  rm -f "$1"
  hmp "migrate \"${2:-exec:cat > $1}\""
  if [[ -s "$TMP/last.txt" ]]; then echo "migrate said: $(cat "$TMP/last.txt")" >&2; fi
  local deadline=$((SECONDS + TIMEOUT))
  while :; do
    hmp "info migrate"
    if grep -Eq '^(Migration status|Status): completed' "$TMP/last.txt"; then break; fi
    if grep -Eq '^(Migration status|Status): (failed|cancelled)' "$TMP/last.txt"; then
      echo "error: migration failed:" >&2; cat "$TMP/last.txt" >&2; exit 1
    fi
    if (( SECONDS > deadline )); then echo "error: migration timeout" >&2; exit 1; fi
    sleep 0.1
  done
}

stop_qemu() {
  printf 'quit\n' >&3 || true
  exec 3>&-
  wait "$QPID" || true
  QPID=""
}

want() { # is fixture $1 selected on the command line (no arguments = everything)?
  (( ${#SELECTED[@]} == 0 )) && return 0
  local x; for x in "${SELECTED[@]}"; do [[ "$x" == "$1" ]] && return 0; done; return 1
}
