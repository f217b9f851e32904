#!/usr/bin/env bash
# Bad arguments and unusable journals: one line naming the problem, exit code 2,
# nothing written, and --help for every subcommand.
. "$TESTS_DIR/lib.sh"

# expect_error PATTERN CMD...: exit 2, stdout empty, stderr one line matching PATTERN.
expect_error() {
  local pattern=$1; shift
  "$@" >"$WORK/out" 2>"$WORK/err"
  local rc=$?
  [ $rc -eq 2 ] || fail "$* exited $rc, expected 2 (stderr: $(cat "$WORK/err"))"
  [ ! -s "$WORK/out" ] || fail "$* wrote to stdout: $(cat "$WORK/out")"
  [ "$(wc -l <"$WORK/err")" -eq 1 ] || fail "$* printed $(wc -l <"$WORK/err") lines: $(cat "$WORK/err")"
  grep -qE "$pattern" "$WORK/err" || fail "$* said '$(cat "$WORK/err")', expected /$pattern/"
}

S=$SOCKOWNER
"$S" >/dev/null 2>&1; [ $? -eq 2 ] || fail "no arguments should exit 2"
expect_error "unknown command 'frobnicate'" "$S" frobnicate

for cmd in collect lookup stats export cleanup; do
  "$S" $cmd --help >"$WORK/help" 2>&1 || fail "$cmd --help failed"
  grep -q "usage: sockowner $cmd" "$WORK/help" || fail "$cmd --help has no usage line"
  expect_error "unknown option --bogus" "$S" $cmd --bogus
done
"$S" --help | grep -q 'commands:' || fail "--help lists no commands"
"$S" --version | grep -q '^sockowner [0-9]' || fail "--version"

# lookup: arguments
expect_error 'need PROTO SRC:PORT DST:PORT' "$S" lookup tcp 1.2.3.4:1
expect_error "unknown protocol 'sctp'" "$S" lookup sctp 1.2.3.4:1 5.6.7.8:2
expect_error "bad endpoint '1.2.3.4'" "$S" lookup tcp 1.2.3.4 5.6.7.8:2
expect_error "bad endpoint '::1:80'" "$S" lookup tcp ::1:80 5.6.7.8:2
expect_error "bad endpoint '1.2.3.4:70000'" "$S" lookup tcp 1.2.3.4:70000 5.6.7.8:2
expect_error "bad --at 'teatime'" "$S" lookup --journal "$WORK/x.db" --at teatime tcp 1.2.3.4:1 5.6.7.8:2
expect_error "option --at needs a value" "$S" lookup --at

# journals that cannot be used; none of them is created or changed
expect_error "missing.db: cannot open journal: No such file" "$S" lookup --journal "$WORK/missing.db" tcp 1.2.3.4:1 5.6.7.8:2
expect_error "missing.db: cannot open journal" "$S" stats --journal "$WORK/missing.db"
expect_error "missing.db: cannot open journal" "$S" export --journal "$WORK/missing.db"
[ ! -e "$WORK/missing.db" ] || fail "a reader created the journal"
expect_error "not a regular file" "$S" stats --journal "$WORK"

echo "just some notes, not a database" >"$WORK/notes.txt"
sum=$(md5sum <"$WORK/notes.txt")
expect_error "notes.txt: not a sockowner journal" "$S" stats --journal "$WORK/notes.txt"
expect_error "notes.txt: not a sockowner journal" "$S" export --journal "$WORK/notes.txt"
expect_error "notes.txt: not a sockowner journal" "$S" collect --mode procfs --journal "$WORK/notes.txt"
[ "$(md5sum <"$WORK/notes.txt")" = "$sum" ] || fail "a non-journal file was modified"

sqlite3 "$WORK/other.db" 'CREATE TABLE t(x); INSERT INTO t VALUES (1);'
expect_error "other.db: not a sockowner journal" "$S" stats --journal "$WORK/other.db"
expect_error "other.db: not a sockowner journal" "$S" collect --mode procfs --journal "$WORK/other.db"

# a journal from a newer sockowner
sqlite3 "$WORK/newer.db" 'PRAGMA application_id = 1397705559; PRAGMA user_version = 99; CREATE TABLE hosts(x); CREATE TABLE processes(x); CREATE TABLE sockets(x);'
sum=$(md5sum <"$WORK/newer.db")
expect_error "schema version 99 is newer than this sockowner supports" "$S" stats --journal "$WORK/newer.db"
expect_error "schema version 99 is newer" "$S" lookup --journal "$WORK/newer.db" tcp 1.2.3.4:1 5.6.7.8:2
expect_error "schema version 99 is newer" "$S" collect --mode procfs --journal "$WORK/newer.db"
[ "$(md5sum <"$WORK/newer.db")" = "$sum" ] || fail "a newer journal was modified"

# truncated journal: make a real one, then cut it
"$S" collect --mode procfs --journal "$WORK/j.db" >"$WORK/c.log" 2>&1 &
pid=$!
wait_until 10 grep -q 'mode:' "$WORK/c.log" || fail "collector did not start"
sleep 0.3
kill -TERM $pid; wait $pid || fail "collector did not stop cleanly"
sqlite3 "$WORK/j.db" 'PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;' >/dev/null
head -c 3000 "$WORK/j.db" >"$WORK/cut.db"
expect_error "cut.db: .*(damaged|not a sockowner journal|malformed)" "$S" stats --journal "$WORK/cut.db"

# collect: arguments
expect_error "bad --mode 'fast'" "$S" collect --mode fast --journal "$WORK/y.db"
expect_error "bad --poll-interval 'often'" "$S" collect --poll-interval often --journal "$WORK/y.db"
expect_error "bad --retain 'forever'" "$S" collect --retain forever --journal "$WORK/y.db"
expect_error "bad --max-size '12Q'" "$S" collect --max-size 12Q --journal "$WORK/y.db"
expect_error "bad --ring-buffer '3M'" "$S" collect --ring-buffer 3M --journal "$WORK/y.db"
expect_error "unexpected argument 'extra'" "$S" collect --journal "$WORK/y.db" extra
[ ! -e "$WORK/y.db" ] || fail "collect with bad arguments created the journal"
expect_error "cannot (create directory|open journal)" "$S" collect --mode procfs --journal /proc/nonexistent/j.db

# export: arguments
expect_error "bad --format 'xml'" "$S" export --format xml --journal "$WORK/j.db"
expect_error "bad time 'later'" "$S" export --since later --journal "$WORK/j.db"

pass
