#!/usr/bin/env bash
# Missing, foreign, newer, truncated and corrupt journals: one clear message on the
# console, an expert item on each packet, and every other part of the dissection as
# tshark does it without the plugin.
. "$TESTS_DIR/lib.sh"
. "$PLUGIN_TESTS_DIR/plugin_lib.sh"
need_cmd sqlite3

make_fixture "$WORK"
cd "$WORK" || fail "no $WORK"
# The bad copies are rollback-journal databases (one file each); nowal.db stays in WAL
# mode but without the -shm file its readers need.
cp fixture.db nowal.db && sqlite3 nowal.db 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null || fail "cannot make nowal.db"
rm -f nowal.db-wal nowal.db-shm
sqlite3 fixture.db 'PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;' >/dev/null || fail "checkpoint failed"
cp fixture.db newer.db && sqlite3 newer.db 'PRAGMA user_version = 99;' || fail "cannot make newer.db"
sqlite3 other.db 'CREATE TABLE t (x);' || fail "cannot make other.db"
echo "not a journal" >text.db
head -c 10000 fixture.db >truncated.db
python3 - <<'PY' || fail "cannot make corrupt.db"
data = bytearray(open("fixture.db", "rb").read())
for i in range(3 * 4096, len(data), 512):  # leave the header and schema pages, spoil the rest
    data[i:i + 64] = b"\xde\xad\xbe\xef" * 16
open("corrupt.db", "wb").write(data)
PY
mkdir -p dir.db
# Crafted: a VIEW in the place of the sockets table whose recursive query never ends
# (tshark ran forever and grew past 1.6 GB), and a socket with id 2^31 (its memory
# followed the id: ~16 GB).
cp fixture.db view.db && sqlite3 view.db 'ALTER TABLE sockets RENAME TO s2;
  CREATE VIEW sockets AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT s2.* FROM s2, c;' ||
  fail "cannot make view.db"
cp fixture.db sparse.db && sqlite3 sparse.db "INSERT INTO sockets (id, host_id, proto, family, local_addr, local_port,
  remote_addr, remote_port, process_id, source, opened, closed, seq) SELECT 2147483648, host_id, proto, family,
  local_addr, 65001, remote_addr, remote_port, process_id, source, 1000, 2000, 999999 FROM sockets LIMIT 1;" ||
  fail "cannot make sparse.db"
chmod a+r ./*.db

tshark_bare -r fixture.pcap >bare.txt 2>/dev/null || fail "tshark without the plugin failed"
tshark_bare -r fixture.pcap -T fields -e frame.number -e ip.src -e ipv6.src -e tcp.srcport -e udp.dstport \
  -e icmp.type -e _ws.col.Info >bare_fields.txt 2>/dev/null
ip_frames=$(tshark_bare -r fixture.pcap -Y 'ip or ipv6' 2>/dev/null | wc -l)

check() {  # check JOURNAL MESSAGE-REGEX
  local j=$1 msg=$2
  tshark_plugin -r fixture.pcap -o "proc.journal:$j" >out.txt 2>err.txt || fail "$j: tshark exited with $?"
  diff -u bare.txt out.txt || fail "$j: the summary differs from tshark's without the plugin"
  [ "$(grep -c . err.txt)" -eq 1 ] || fail "$j: expected one console line, got: $(cat err.txt)"
  grep -Eq "\[proc WARNING\].* $msg; no process fields \(proc\.\*\) for this capture but those its packet comments give$" err.txt ||
    fail "$j: console message: $(cat err.txt)"
  tshark_plugin -r fixture.pcap -o "proc.journal:$j" -T fields -e frame.number -e ip.src -e ipv6.src \
    -e tcp.srcport -e udp.dstport -e icmp.type -e _ws.col.Info >out_fields.txt 2>/dev/null
  diff -u bare_fields.txt out_fields.txt || fail "$j: dissected fields differ from tshark's without the plugin"
  local n
  n=$(tshark_plugin -r fixture.pcap -o "proc.journal:$j" -Y proc.journal_unavailable \
        -T fields -e _ws.expert.message 2>/dev/null | grep -Ec "Process journal unavailable: .*$msg")
  [ "$n" -eq "$ip_frames" ] || fail "$j: expert item on $n packets, expected $ip_frames"
}

check missing.db "missing.db: cannot open journal: No such file or directory"
check dir.db "dir.db: not a regular file"
check text.db "text.db: not a sockowner journal \(not an SQLite database\)"
check other.db "other.db: not a sockowner journal \(SQLite application_id 0\)"
check newer.db "newer.db: journal schema version 99 is newer than this sockowner supports \([0-9]+\); upgrade sockowner"
check truncated.db "truncated.db: damaged sockowner journal \(database disk image is malformed\)"
check corrupt.db "corrupt.db: journal query failed: database disk image is malformed"
check view.db "view.db: damaged sockowner journal \(unexpected table 's2'\)"

# The sparse id: annotated as the plain fixture, within the same bounded memory.
tshark_plugin -r fixture.pcap -o "proc.journal:fixture.db" -T fields -e frame.number -e proc.src.pid -e proc.dst.pid \
  >plain_pids.txt 2>/dev/null || fail "tshark on the fixture"
tshark_plugin -r fixture.pcap -o "proc.journal:sparse.db" -T fields -e frame.number -e proc.src.pid -e proc.dst.pid \
  >sparse_pids.txt 2>/dev/null || fail "tshark on sparse.db"
diff -u plain_pids.txt sparse_pids.txt || fail "sparse.db annotated differently"
mem() { ( ulimit -v $((1500 * 1024)); tshark_plugin -r fixture.pcap -o "proc.journal:$1" -T fields -e proc.src.pid \
          >/dev/null 2>"$1.err" ) || fail "$1: tshark failed within 1.5 GB of address space: $(cat "$1.err")"; }
mem fixture.db
mem sparse.db
echo "ok: a socket id of 2^31 costs what a dense one does"

# Unreadable for tshark's user; a WAL journal whose -shm tshark's user may not create.
# (Only when tshark runs as another user than the files' owner.)
if [ "$(id -u)" -eq 0 ]; then
  cp fixture.db private.db && chmod 600 private.db
  check private.db "private.db: cannot read journal: Permission denied \(only its owner may read it\)"
  cp fixture.db grouped.db && chmod 640 grouped.db && chgrp root grouped.db
  check grouped.db "grouped.db: cannot read journal: Permission denied \(readable by group root: join it, e.g. sudo usermod -aG root .USER, and log in again\)"
  check nowal.db "nowal.db: cannot read journal: its -shm file is missing and cannot be created \(attempt to write a readonly database\)"
fi
pass
