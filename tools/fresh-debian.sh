#!/usr/bin/env bash
# The pristine-machine check: does the README work, exactly as written, for a new user on a
# new Debian 12 machine? Builds a Debian 12 (bookworm) root with debootstrap, copies the
# repository into it (git archive HEAD: what a clone holds, nothing built or installed), then,
# as root in that root:
#   1. the README's run command, until it prints "Ready."
#   2. the README's client commands (the fenced block(s) between its client-commands markers), each as written
#   3. a Node fetch of http://localhost:4566/_localstack/health
#   4. stops the server, then runs the README's test command to its end
# Prints each step's result and wall time; exits non-zero if any step failed.
# Commands are read from README.md, never copied here, so the check follows the README.
#
#   tools/fresh-debian.sh [--root DIR] [--reuse] [--ready-timeout SECONDS]
#
#   --root DIR   where the root, its cached tarball and the logs live
#                (default: ${TMPDIR:-/tmp}/nimbus-fresh-root; keep it outside the git tree)
#   --reuse      start from the cached pristine tarball instead of running debootstrap again
#                (every run still starts from a fresh copy of it)
#
# Needs root (chroot, mounts, namespaces) and about 5 GB free under --root.
#
# What "pristine" means here: debootstrap's default variant (Debian's required and important
# packages: what a minimal Debian install has, no build tools, no Node, no Python boto3), plus
# what the Debian installer writes and debootstrap does not: apt sources for bookworm,
# bookworm-updates and bookworm-security, /etc/hosts (localhost on 127.0.0.1 and ::1) and a
# hostname. No locale is set (LANG unset), /tmp is a plain directory of the root. From this
# machine it takes only /etc/resolv.conf and the local CAs of /usr/local/share/ca-certificates
# (what any machine on the same network has).
#
# Isolation: the chroot runs in its own mount and PID namespaces, so its mounts and every
# process it started disappear with the namespace, whatever way this script ends. It shares
# the host's network: apt and npm need the network, and neither user-mode network for a
# namespace (slirp4netns, pasta) carried DNS and TCP on the gVisor host this was written on.
# So port 4566 must be free on the host: the check says so and stops if it is not (and a
# server started meanwhile makes the run command fail to listen, not talk to the wrong one).
set -uo pipefail

die() { echo "fresh-debian: $*" >&2; exit 2; }

repo=$(cd "$(dirname "$0")/.." && pwd)
dir="${TMPDIR:-/tmp}/nimbus-fresh-root"
reuse=0
ready_timeout=900
while [ $# -gt 0 ]; do
  case "$1" in
    --root) dir="$2"; shift 2 ;;
    --reuse) reuse=1; shift ;;
    --ready-timeout) ready_timeout="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mounts)"
mkdir -p "$dir" && dir=$(cd "$dir" && pwd) || die "cannot create $dir"
case "$dir/" in "$repo"/*) die "--root must be outside the repository ($repo)" ;; esac

root="$dir/root"            # the working copy, replaced at every run
tarball="$dir/pristine.tar" # debootstrap's result, cached for --reuse
logs="$dir/logs"
mirror=http://deb.debian.org/debian

# ---- steps: each prints its result and wall time; the summary repeats them at the end
summary=()
failed=0
step_start() { step_name="$1"; step_t0=$(date +%s.%N); printf '== %s\n' "$1"; }
step_end() { step_end_at "$1" "$(date +%s.%N)" "${2:-}"; }  # step_end RC [LOG]
step_end_at() {  # step_end_at RC END_TIME [LOG]
  local rc=$1 log=${3:-} secs result
  secs=$(awk -v a="$step_t0" -v b="$2" 'BEGIN { printf "%.1f", b - a }')
  if [ "$rc" -eq 0 ]; then result=ok; else result="FAILED (exit $rc)"; failed=1; fi
  printf '   %s in %s s%s\n' "$result" "$secs" "${log:+ (log: $log)}"
  if [ "$rc" -ne 0 ] && [ -n "$log" ] && [ -s "$log" ]; then
    echo "   last lines of the log:"; tail -n 25 "$log" | sed 's/^/   | /'
  fi
  summary+=("$(printf '%-18s %8s s  %s' "$result" "$secs" "$step_name")")
}
show_output() {  # show_output RC LOG: a client's output when it succeeded (step_end shows a failure's)
  [ "$1" -eq 0 ] && { head -n 15 "$2"; echo; } | sed -e 's/^/   > /' -e '/^   > $/d'
  return 0
}
step_skip() { summary+=("$(printf '%-18s %8s    %s' skipped - "$1")"); printf '== %s\n   skipped: %s\n' "$1" "$2"; }

# ---- the README's commands
# The first fenced block holds the run and test commands; the fenced blocks between the
# README's <!-- client-commands --> markers are the first client commands (the ones
# tests/e2e/test_readme.py also runs).
readme="$repo/README.md"
[ -f "$readme" ] || die "no README.md in $repo"
first_block=$(awk '/^```/ { if (inb) exit; inb = 1; next } inb' "$readme")
run_cmd=$(grep -m1 -E '^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*=[^ ]*[[:space:]]+)*(\./)?tools/run\.sh' <<<"$first_block")
test_cmd=$(grep -m1 -E '^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*=[^ ]*[[:space:]]+)*(\./)?tools/test\.sh' <<<"$first_block")
[ -n "$run_cmd" ] || die "no tools/run.sh line in README.md's first fenced block"
[ -n "$test_cmd" ] || die "no tools/test.sh line in README.md's first fenced block"
shown() { sed -E 's/[[:space:]]+#.*$//' <<<"$1"; }  # the command without its trailing comment

# Client blocks as "LANG<TAB>text" records, each ended by an ASCII record separator (\036); a shell block yields one record
# per command (backslash continuations joined), another language one record per block.
client_records() {
  awk '
    !started { if (/<!-- client-commands/) started = 1; next }
    /<!-- \/client-commands -->/ && !inb { exit }
    /^```/ {
      if (!inb) { inb = 1; lang = substr($0, 4); gsub(/[[:space:]]/, "", lang); body = ""; next }
      inb = 0
      if (lang == "" || lang ~ /^(sh|bash|shell|console)$/) {
        n = split(body, lines, "\n"); cmd = ""
        for (i = 1; i <= n; i++) {
          line = lines[i]
          if (cmd == "" && (line ~ /^[[:space:]]*$/ || line ~ /^[[:space:]]*#/)) continue
          if (line ~ /\\$/) { cmd = cmd substr(line, 1, length(line) - 1) " "; continue }
          cmd = cmd line; printf "sh\t%s\036", cmd; cmd = ""
        }
      } else printf "%s\t%s\036", lang, body
      next
    }
    inb { body = body (body == "" ? "" : "\n") $0 }
  ' "$readme"
}

# ---- cleanup: the namespace holder and the server; mounts go with the mount namespace
holder=""; ns_pid=""; server_pgid=""
cleanup() {
  [ -n "$server_pgid" ] && kill -KILL -- "-$server_pgid" 2>/dev/null
  # PID 1 of the namespace ignores SIGTERM; SIGKILL ends it and everything left inside
  [ -n "$ns_pid" ] && kill -KILL "$ns_pid" 2>/dev/null
  [ -n "$holder" ] && wait "$holder" 2>/dev/null
  holder=""; ns_pid=""; server_pgid=""
}
trap cleanup EXIT
trap 'echo; echo "fresh-debian: interrupted" >&2; exit 130' INT TERM HUP

# in_root CMD: runs a login shell as root in the root, in the repository, with the
# environment a fresh login has (nothing inherited from this machine but TERM).
in_root() {
  nsenter -t "$ns_pid" -m -p chroot "$root" \
    /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" /bin/bash -lc "cd /root/nimbus && $1"
}

port_busy() { (exec 3<>/dev/tcp/127.0.0.1/4566) 2>/dev/null; }

# read once: a commit made during the run must not change what was checked
commit=$(git -C "$repo" rev-parse --short HEAD) || die "$repo is not a git repository"
echo "fresh-debian: checking $commit ($(git -C "$repo" log -1 --format=%s "$commit" | cut -c1-60)) on a pristine Debian 12 root in $dir"
echo "   run command:  $(shown "$run_cmd")"
echo "   test command: $(shown "$test_cmd")"
command -v debootstrap >/dev/null || {
  echo "fresh-debian: installing debootstrap" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null \
    || die "cannot install debootstrap"
}
for tool in unshare nsenter setsid chroot git tar; do
  command -v "$tool" >/dev/null || die "needs $tool"
done
if port_busy; then
  die "something on this machine already listens on 127.0.0.1:4566 (a running Nimbus?); the check shares the host's network, stop it first"
fi

# Removing an old root never crosses into another filesystem (a leftover mount)
rm -rf --one-file-system "$root" "$logs" || die "cannot remove the previous root $root"
mkdir -p "$logs"

# ---- 1. a pristine root
if [ "$reuse" -eq 1 ] && [ -f "$tarball" ]; then
  step_start "unpack the cached pristine root"
  mkdir -p "$root" && tar -C "$root" --numeric-owner -xpf "$tarball"
  step_end $?
else
  step_start "debootstrap bookworm (default variant)"
  log="$logs/debootstrap.log"
  # in its own mount namespace: whatever debootstrap mounts cannot outlive it
  unshare --mount --propagation private debootstrap bookworm "$root" "$mirror" >"$log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    # what the Debian installer adds to the same packages
    cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
    echo nimbus-fresh >"$root/etc/hostname"
    cat >"$root/etc/hosts" <<'EOF'
127.0.0.1	localhost
127.0.1.1	nimbus-fresh

# The following lines are desirable for IPv6 capable hosts
::1     localhost ip6-localhost ip6-loopback
ff02::1 ip6-allnodes
ff02::2 ip6-allrouters
EOF
    tar -C "$root" --numeric-owner -cpf "$tarball.new" . && mv "$tarball.new" "$tarball" || rc=$?
  fi
  step_end $rc "$log"
fi
[ "$failed" -eq 0 ] || { echo "fresh-debian: no pristine root, nothing else can run" >&2; exit 1; }

# ---- 2. the repository, as a clone holds it
step_start "copy the repository (git archive HEAD)"
mkdir -p "$root/root/nimbus" && git -C "$repo" archive "$commit" | tar -C "$root/root/nimbus" -xf -
step_end $?

# ---- 3. the namespaces and the mounts a booted machine has
step_start "namespaces and mounts (proc, sys, dev with dev/pts)"
unshare --mount --pid --fork --propagation private sleep infinity 2>/dev/null &
holder=$!
for _ in $(seq 50); do ns_pid=$(ps -o pid= --ppid "$holder" | tr -d ' '); [ -n "$ns_pid" ] && break; sleep 0.1; done
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
# The network's own certificate authorities (a TLS-inspecting proxy's, say): a machine on
# this network needs them to reach npm's registry; ca-certificates, once the README's
# commands install it, adds them. None on a machine that reaches the internet directly.
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi
[ -n "$ns_pid" ] && nsenter -t "$ns_pid" -m -p sh -ec "
  mount -t proc proc '$root/proc'
  mount --rbind /sys '$root/sys'
  mount --rbind /dev '$root/dev'
  chmod 1777 '$root/tmp'"
step_end $?
[ "$failed" -eq 0 ] || { echo "fresh-debian: no usable root, nothing else can run" >&2; exit 1; }

# ---- 4. the run command, in the background until it prints "Ready."
step_start "run command until Ready.: $(shown "$run_cmd")"
run_log="$logs/run.log"
# Its own process group, so stopping it stops the script, the build and the server; SIGINT
# back to its default (a background job of a script starts with SIGINT ignored) so that
# stopping it is a user's Ctrl-C.
setsid env --default-signal=INT,QUIT nsenter -t "$ns_pid" -m -p chroot "$root" \
  /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" /bin/bash -lc "cd /root/nimbus && $run_cmd" \
  >"$run_log" 2>&1 </dev/null &
server_pgid=$!
ready=0; deadline=$(( $(date +%s) + ready_timeout ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  if grep -q 'Ready\.' "$run_log"; then ready=1; break; fi
  kill -0 "$server_pgid" 2>/dev/null || break
  sleep 0.5
done
if [ $ready -eq 1 ]; then step_end 0 "$run_log"
elif kill -0 "$server_pgid" 2>/dev/null; then echo "   no Ready. within ${ready_timeout} s" >> "$run_log"; step_end 124 "$run_log"
else  # it ended without serving: a failure even when its status is 0
  wait "$server_pgid"; rc=$?; echo "   ended (exit $rc) without printing Ready." >>"$run_log"; step_end $(( rc ? rc : 1 )) "$run_log"
fi

# ---- 5. the README's first client commands, then a Node fetch of the health endpoint
# The shell commands run in one shell session, one after the other, as typed into one
# terminal (an export or cd carries over to the next); each one's status and time is written
# to a file of the root. A block in another language runs as one program.
sh_cmds=(); other=()
while IFS= read -r -d $'\036' rec; do
  if [ "${rec%%$'\t'*}" = sh ]; then sh_cmds+=("${rec#*$'\t'}"); else other+=("$rec"); fi
done < <(client_records)
[ $(( ${#sh_cmds[@]} + ${#other[@]} )) -gt 0 ] || {
  step_start "client commands of README.md"; echo "   none found"; step_end 1; }
if [ ${#sh_cmds[@]} -gt 0 ]; then
  # each command on its own lines inside { }, so a trailing comment cannot swallow the brace
  session="exec 3>/tmp/fresh-client-status"
  for i in "${!sh_cmds[@]}"; do
    session+=$'\n'"__t0=\$(date +%s.%N)"$'\n{\n'"${sh_cmds[$i]}"$'\n'"} >/tmp/fresh-client-$i.log 2>&1 </dev/null"
    session+=$'\n'"echo \"$i \$? \$__t0 \$(date +%s.%N)\" >&3"
  done
  if [ $ready -eq 1 ]; then
    rm -f "$root"/tmp/fresh-client-*
    in_root "$session" >"$logs/client-shell.log" 2>&1 </dev/null
  fi
  for i in "${!sh_cmds[@]}"; do
    label="client: $(shown "${sh_cmds[$i]}")"
    if [ $ready -ne 1 ]; then step_skip "$label" "the server never became ready"; failed=1; continue; fi
    log="$logs/client-$((i + 1)).log"
    cp "$root/tmp/fresh-client-$i.log" "$log" 2>/dev/null || cp "$logs/client-shell.log" "$log"
    rc=""; t1=""
    read -r _ rc t0 t1 < <(grep "^$i " "$root/tmp/fresh-client-status" 2>/dev/null) || true
    step_name="$label"; printf '== %s\n' "$label"
    if [ -z "$rc" ]; then
      step_t0=$(date +%s.%N); echo "   never ran: the shell session ended before it"; step_end 1 "$log"
    else
      step_t0=$t0; show_output "$rc" "$log"; step_end_at "$rc" "$t1" "$log"
    fi
  done
fi
for rec in "${other[@]}"; do
  lang=${rec%%$'\t'*}; text=${rec#*$'\t'}; log="$logs/client-$lang.log"
  label="client ($lang block): $(head -n1 <<<"$text")"
  if [ $ready -ne 1 ]; then step_skip "$label" "the server never became ready"; failed=1; continue; fi
  step_start "$label"
  case "$lang" in
    js|javascript|mjs) in_root 'node --input-type=module' <<<"$text" >"$log" 2>&1 ;;
    py|python|python3) in_root 'python3 -' <<<"$text" >"$log" 2>&1 ;;
    *) echo "fresh-debian: cannot run a '$lang' block" >"$log"; false ;;
  esac
  rc=$?; show_output $rc "$log"; step_end $rc "$log"
done

fetch_js="const r = await fetch('http://localhost:4566/_localstack/health');
const body = await r.text();
console.log(r.status, body);
if (r.status !== 200 || !JSON.parse(body).services) process.exit(1);"
if [ $ready -eq 1 ]; then
  step_start "node: fetch('http://localhost:4566/_localstack/health')"
  in_root 'node --input-type=module' <<<"$fetch_js" >"$logs/node-fetch.log" 2>&1
  rc=$?; show_output $rc "$logs/node-fetch.log"; step_end $rc "$logs/node-fetch.log"
else
  step_skip "node: fetch('http://localhost:4566/_localstack/health')" "the server never became ready"
fi

# ---- 6. stop the server as a user would: Ctrl-C, SIGINT to the foreground process group
group_alive() { kill -0 -- "-$server_pgid" 2>/dev/null; }
if group_alive; then
  step_start "stop the server (SIGINT, as Ctrl-C)"
  kill -INT -- "-$server_pgid"
  for _ in $(seq 300); do group_alive || break; sleep 0.1; done
  if group_alive; then
    echo "   still running 30 s after SIGINT" >>"$run_log"; kill -KILL -- "-$server_pgid"; step_end 124 "$run_log"
  else
    step_end 0
  fi
  wait "$server_pgid" 2>/dev/null
fi
server_pgid=""

# ---- 7. the test command, to its end
step_start "test command: $(shown "$test_cmd")"
in_root "$test_cmd" >"$logs/test.log" 2>&1 </dev/null
rc=$?
grep -E '^== |tests passed|tests failed|^[[:space:]]*[0-9]+ - .*\((Failed|Timeout|SEGFAULT|Not Run)' "$logs/test.log" | sed 's/^/   > /' | tail -n 40
step_end $rc "$logs/test.log"

echo
echo "== summary ($(date -u '+%Y-%m-%d %H:%M UTC'), $commit, logs in $logs)"
printf '   %s\n' "${summary[@]}"
du -sh "$root" 2>/dev/null | awk '{ print "   disk used by the root: " $1 }'
[ "$failed" -eq 0 ] && echo "fresh-debian: PASSED" || echo "fresh-debian: FAILED"
exit "$failed"
