#!/usr/bin/env bash
# tshark loads the plugin and knows its fields, preferences and statistics tree.
. "$TESTS_DIR/lib.sh"
. "$PLUGIN_TESTS_DIR/plugin_lib.sh"

tshark_plugin -G plugins >"$WORK/plugins.txt" 2>"$WORK/err.txt" || fail "tshark -G plugins: $(cat "$WORK/err.txt")"
grep -P '^sockowner\.so\s+[0-9][0-9.]*\s+dissector\s' "$WORK/plugins.txt" >/dev/null ||
  fail "sockowner.so not listed: $(cat "$WORK/plugins.txt")"
[ "$(grep -c '^sockowner\.so' "$WORK/plugins.txt")" -eq 1 ] || fail "sockowner.so listed more than once"

tshark_plugin -G fields >"$WORK/fields.txt" 2>"$WORK/err.txt" || fail "tshark -G fields: $(cat "$WORK/err.txt")"
grep -P '^P\tProcess \(sockowner\)\tproc$' "$WORK/fields.txt" >/dev/null || fail "protocol proc not registered"
expected=""
for side in src dst; do
  for f in pid name cmdline exe ppid uid user container cgroup source match label; do expected+="proc.$side.$f"$'\n'; done
done
expected+="proc.pid"$'\n'"proc.name"$'\n'"proc.journal_unavailable"  # the expert item
actual=$(grep -P '^F\t' "$WORK/fields.txt" | cut -f3 | grep '^proc\.')
[ "$actual" = "$expected" ] || fail "proc fields differ:"$'\n'"$(diff <(echo "$expected") <(echo "$actual"))"
# Types: pids are numbers, names strings (filters like proc.pid > 1000 need that).
grep -P '^F\tSource PID\tproc\.src\.pid\tFT_UINT32\tproc\t' "$WORK/fields.txt" >/dev/null || fail "proc.src.pid type"
grep -P '^F\tProcess\tproc\.name\tFT_STRING\tproc\t' "$WORK/fields.txt" >/dev/null || fail "proc.name type"

tshark_plugin -G defaultprefs >"$WORK/prefs.txt" 2>/dev/null || fail "tshark -G defaultprefs"
for p in '#proc.journal: ' '#proc.time_slack: 1000' '#proc.info_column: TRUE'; do
  grep -qF "$p" "$WORK/prefs.txt" || fail "preference missing: $p"
done
# The journal preference defaults to $SOCKOWNER_JOURNAL.
SOCKOWNER_JOURNAL=/srv/j.db tshark_plugin -G defaultprefs 2>/dev/null | grep -qx '#proc.journal: /srv/j.db' ||
  fail "proc.journal does not default to \$SOCKOWNER_JOURNAL"

tshark_plugin -z help 2>&1 | grep -qx '     proc,tree' || fail "-z proc,tree not registered"
pass
