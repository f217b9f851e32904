# Shared by the benchmarks that time the kernel programs (sourced; needs bpftool):
# no_other_programs refuses to start while sockowner's programs are already loaded (a
# running collector or service, or pinned links an earlier collector left attached, as
# they stay by design): they would run in every round, "without" ones included, and
# bpf_stats would count their runs with ours.
no_other_programs() {
  local loaded
  loaded=$(bpftool prog show 2>/dev/null | grep -cE 'name (so_egress|so_ingress|so_send|so_recv|so_sock_create) ' || true)
  [ "$loaded" -eq 0 ] && return 0
  echo "$(basename "$0"): sockowner's kernel programs are already loaded ($loaded of them): stop the collector" \
       "(systemctl stop sockowner) and detach them (sockowner cleanup [--pin-dir DIR]) first" >&2
  exit 1
}
