#!/usr/bin/env bash
# Side-by-side measurements behind the README's Performance section. Prints each figure and
# ratio. Needs fzf and hyperfine (installed with apt-get when missing and running as root).
#
#   bash bench/compare.sh                 # the 100,000-person org of the issue
#   USERS=20000 DEPTS=1000 bash bench/compare.sh
#   CRAWL=0 bash bench/compare.sh         # skip the crawl comparison (it takes minutes)
#   ONLY_CRAWL=1 CRAWL_USERS=20000 CRAWL_DEPTS=1000 bash bench/compare.sh   # the crawl alone
#   SEQUENTIAL=1 ...                      # also a crawl with one request in flight
#   INDEXING=0 ...                        # skip the browser with its background index running
#   ONLY_INDEXING=1 bash bench/compare.sh # that part alone
#   ONLY_CHANGES=1 bash bench/compare.sh  # the snapshot's previous generation: orgtui diff, and
#                                         # the browser comparing it at start (CHANGES=0 skips)
set -euo pipefail
cd "$(dirname "$0")/.."

USERS=${USERS:-100000}
DEPTS=${DEPTS:-5000}
# The crawl runs against a server that answers 100 requests/s: the full org takes minutes,
# the sequential baseline longer. CRAWL_USERS/CRAWL_DEPTS size its org separately.
CRAWL=${CRAWL:-1}
CRAWL_USERS=${CRAWL_USERS:-$USERS}
CRAWL_DEPTS=${CRAWL_DEPTS:-$DEPTS}

need() {
    command -v "$1" >/dev/null && return 0
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq >/dev/null && apt-get install -y -qq "$1" >/dev/null
    else
        echo "compare.sh: $1 is needed (apt-get install $1)" >&2
        exit 2
    fi
}
if [ "${ONLY_CRAWL:-0}" != 1 ]; then
    need fzf
    need hyperfine
fi

cargo build --release --locked --quiet
BIN=$PWD/target/release/orgtui
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
# A scratch home: no real config, snapshots or logs are touched.
export HOME=$work XDG_CACHE_HOME=$work/cache XDG_CONFIG_HOME=$work/config
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }

echo "== org: $USERS people in $DEPTS departments (orgtui fake-org --seed 1)"
"$BIN" fake-org --users "$USERS" --depts "$DEPTS" --seed 1 > "$work/org.json"
python3 - "$work/org.json" "$work/names.txt" <<'PY'
import json, sys
org = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as f:
    for u in org["users"]:
        f.write(f"{u.get('name') or ''} <{u.get('email') or ''}>\n")
PY

# The browser needs a terminal: script(1) gives it one. ORGTUI_BENCH_EXIT=first-frame makes it
# quit right after drawing its first frame, so the process time is the time to first frame;
# after-ms:4000 measures its peak memory 4 s in, once everything is read and indexed.
start_figures() { # $1 = the browser's command line, $2 = what the peak memory is of
    local out=$work/start-$RANDOM
    hyperfine --style basic --warmup 2 --runs 15 --export-json "$out.json" -n first-frame \
        "env ORGTUI_BENCH_EXIT=first-frame script -qec '$1' /dev/null" > /dev/null
    python3 -c "
import json; r = json.load(open('$out.json'))['results'][0]
print(f\"first frame: median {r['median']*1000:.0f} ms, max {r['max']*1000:.0f} ms (whole process, in a pty)\")"
    ORGTUI_BENCH_EXIT=after-ms:4000 script -qec "/usr/bin/time -f %M -o $out.rss $1" /dev/null > /dev/null
    printf '%s: %s MB\n' "$2" \
        "$(python3 -c "print(round(int(open('$out.rss').read().split()[-1]) / 1024))")"
}

if [ "${CHANGES:-1}" = 1 ] && [ "${ONLY_CRAWL:-0}" != 1 ] && [ "${ONLY_INDEXING:-0}" != 1 ]; then
    echo
    echo "== changes: a previous generation 100 people short, 200 titles different; orgtui diff, and the browser comparing at start"
    python3 - "$work/org.json" "$work/prev-org.json" <<'PY2'
import json, sys
org = json.load(open(sys.argv[1]))
org["users"] = org["users"][100:]
for u in org["users"][:200]:
    u["title"] = "Old title"
json.dump(org, open(sys.argv[2], "w"), ensure_ascii=False)
PY2
    cport=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
    export ORGTUI_PROVIDER=wps ORGTUI_BASE_URL=http://127.0.0.1:$cport ORGTUI_APP_ID=demo-app ORGTUI_APP_SECRET=demo-secret
    for org in prev-org.json org.json; do # the second export keeps the first as the previous generation
        "$BIN" fake-server --provider wps --org "$work/$org" --addr "127.0.0.1:$cport" > "$work/cs.out" &
        cpid=$!
        for _ in $(seq 100); do grep -q listening "$work/cs.out" 2>/dev/null && break; sleep 0.1; done
        ORGTUI_RATE_LIMIT=0 ORGTUI_CONCURRENCY=16 "$BIN" export > /dev/null
        [ "$org" = org.json ] || { kill "$cpid"; wait "$cpid" 2>/dev/null || true; }
    done
    ls "$XDG_CACHE_HOME"/orgtui/snapshots/ | grep -q '\.prev\.snap$' || { echo "compare.sh: no previous generation kept" >&2; exit 1; }
    t0=$(date +%s.%N); status=0; "$BIN" diff > "$work/diff.txt" || status=$?; t1=$(date +%s.%N)
    printf 'orgtui diff (the profile'"'"'s two snapshots): %.2f s, exit %s, %s joined\n' \
        "$(python3 -c "print($t1 - $t0)")" "$status" "$(sed -n 's/^joined (\(.*\))$/\1/p' "$work/diff.txt")"
    for run in 1 2; do
        ORGTUI_INDEX=off ORGTUI_BENCH_EXIT=after-ms:6000 script -qec "/usr/bin/time -f %M -o $work/ch.rss $BIN" /dev/null > /dev/null
        printf 'browser with a previous generation, peak RSS 6 s in (run %s): %s MB\n' "$run" \
            "$(python3 -c "print(round(int(open('$work/ch.rss').read().split()[-1]) / 1024))")"
    done
    mv "$XDG_CACHE_HOME"/orgtui/snapshots/*.prev.snap "$work/"
    ORGTUI_INDEX=off ORGTUI_BENCH_EXIT=after-ms:6000 script -qec "/usr/bin/time -f %M -o $work/ch.rss $BIN" /dev/null > /dev/null
    printf 'browser without one, peak RSS 6 s in: %s MB\n' \
        "$(python3 -c "print(round(int(open('$work/ch.rss').read().split()[-1]) / 1024))")"
    kill "$cpid"; wait "$cpid" 2>/dev/null || true
    rm -f "$XDG_CACHE_HOME"/orgtui/snapshots/*
    unset ORGTUI_PROVIDER ORGTUI_BASE_URL
    [ "${ONLY_CHANGES:-0}" = 1 ] && exit 0
fi

if [ "${ONLY_CRAWL:-0}" != 1 ] && [ "${ONLY_INDEXING:-0}" != 1 ]; then
echo
echo "== search: orgtui --org-file org.json search \"zhang wei\" --limit 20 (warm snapshot) vs fzf --filter"
"$BIN" --org-file "$work/org.json" search "zhang wei" --limit 20 > /dev/null   # warms the snapshot
hyperfine --style basic --warmup 3 --runs 30 --export-json "$work/search.json" \
    -n orgtui "$BIN --org-file $work/org.json search 'zhang wei' --limit 20" \
    -n fzf "fzf --filter 'zhang wei' < $work/names.txt | head -20" > "$work/search.txt"
read -r ours theirs < <(python3 -c "
import json; r = json.load(open('$work/search.json'))['results']
print(r[0]['median'], r[1]['median'])")
printf 'orgtui median %.1f ms, fzf median %.1f ms, fzf/orgtui = %s\n' \
    "$(python3 -c "print($ours*1000)")" "$(python3 -c "print($theirs*1000)")" "$(ratio "$theirs" "$ours")"


echo
echo "== start: first frame from a warm snapshot of everyone, and peak memory"
# Load everyone once through the real protocol so the profile's snapshot holds the whole org.
"$BIN" fake-server --provider wps --org "$work/org.json" > "$work/fs.out" &
for _ in $(seq 100); do grep -q listening "$work/fs.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$work/fs.out")
export ORGTUI_PROVIDER=wps ORGTUI_BASE_URL=$url ORGTUI_APP_ID=demo-app ORGTUI_APP_SECRET=demo-secret
ORGTUI_RATE_LIMIT=0 ORGTUI_CONCURRENCY=16 "$BIN" export > /dev/null
ls -la "$XDG_CACHE_HOME"/orgtui/snapshots/ 2>/dev/null | tail -n +2 || true
start_figures "$BIN" "peak RSS with everyone loaded and indexed"
kill %1 2>/dev/null || true
unset ORGTUI_PROVIDER ORGTUI_BASE_URL

echo
echo "== start offline: orgtui --org-file org.json (warm snapshot of the file)"
start_figures "$BIN --org-file $work/org.json" \
    "peak RSS with everyone loaded, indexed, and the offline directory built"
fi

if [ "${INDEXING:-1}" = 1 ] && [ "${ONLY_CRAWL:-0}" != 1 ]; then
    echo
    echo "== the browser with its background index running: fake-server --latency-ms 20 --rate-limit 100, client limit 100 req/s"
    # One address for both servers, so the snapshot the first one fills is the second's too.
    port=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
    serve() { # $@ = extra fake-server flags; sets url
        "$BIN" fake-server --provider wps --org "$work/org.json" --addr "127.0.0.1:$port" "$@" > "$work/is.out" &
        spid=$!
        for _ in $(seq 100); do grep -q listening "$work/is.out" 2>/dev/null && break; sleep 0.1; done
        url=$(sed -n 's/^listening on //p' "$work/is.out")
    }
    serve
    export ORGTUI_PROVIDER=wps ORGTUI_BASE_URL=$url ORGTUI_APP_ID=demo-app ORGTUI_APP_SECRET=demo-secret
    ORGTUI_RATE_LIMIT=0 ORGTUI_CONCURRENCY=16 "$BIN" export > /dev/null
    kill "$spid"; wait "$spid" 2>/dev/null || true
    serve --latency-ms 20 --rate-limit 100
    export ORGTUI_RATE_LIMIT=100 ORGTUI_INDEX_MAX_AGE=0
    # The snapshot is 0 hours old, too old for index_max_age = 0: every start indexes.
    start_figures "$BIN" "peak RSS 4 s in, the snapshot restored and the index running"
    indexed() { # $1 = what; runs the browser until its index ends: time and peak RSS
        local out=$work/indexed-$RANDOM t0 t1
        t0=$(date +%s.%N)
        ORGTUI_BENCH_EXIT=indexed script -qec "/usr/bin/time -f %M -o $out.rss $BIN" /dev/null > /dev/null
        t1=$(date +%s.%N)
        printf '%s: indexed everyone in %.1f s, peak RSS %s MB\n' "$1" "$(python3 -c "print($t1 - $t0)")" \
            "$(python3 -c "print(round(int(open('$out.rss').read().split()[-1]) / 1024))")"
    }
    indexed "from the snapshot"
    rm -f "$XDG_CACHE_HOME"/orgtui/snapshots/*
    indexed "with no snapshot"
    kill "$spid"; wait "$spid" 2>/dev/null || true
    unset ORGTUI_PROVIDER ORGTUI_BASE_URL ORGTUI_RATE_LIMIT ORGTUI_INDEX_MAX_AGE
    echo "keystrokes while people stream in: cargo test --release --locked --lib search::tests::keystroke_latency_while_indexing -- --ignored --nocapture"
fi

if [ "$CRAWL" = 1 ] && [ "${ONLY_INDEXING:-0}" != 1 ]; then
    echo
    echo "== crawl: export against fake-server --latency-ms 20 --rate-limit 100 ($CRAWL_USERS people, $CRAWL_DEPTS departments)"
    "$BIN" fake-org --users "$CRAWL_USERS" --depts "$CRAWL_DEPTS" --seed 1 > "$work/crawl.json"
    crawl() { # $1 = provider, $2 = concurrency, $3 = ORGTUI_CRAWL; prints seconds, requests, 429s, refused
        "$BIN" fake-server --provider "$1" --org "$work/crawl.json" --latency-ms 20 --rate-limit 100 > "$work/cs.out" &
        local pid=$!
        for _ in $(seq 100); do grep -q listening "$work/cs.out" 2>/dev/null && break; sleep 0.1; done
        local url; url=$(sed -n 's/^listening on //p' "$work/cs.out")
        local t0 t1
        t0=$(date +%s.%N)
        ORGTUI_PROVIDER=$1 ORGTUI_BASE_URL=$url ORGTUI_APP_ID=demo-app ORGTUI_APP_SECRET=demo-secret \
            ORGTUI_RATE_LIMIT=100 ORGTUI_CONCURRENCY=$2 ORGTUI_CRAWL=$3 "$BIN" export > /dev/null
        t1=$(date +%s.%N)
        python3 -c "
import json, urllib.request
s = json.load(urllib.request.urlopen('$url/_fake/stats'))
print($t1 - $t0, s['requests'], s['throttled'], s['refused'])"
        kill "$pid"; wait "$pid" 2>/dev/null || true
    }
    # ORGTUI_CRAWL=per-dept forces the department-by-department walk: the old crawl, for the
    # comparison. The bound is the requests at the rate limit (100/s).
    for provider in wps feishu; do
        read -r t_old req_old thr_old ref_old < <(crawl "$provider" 16 per-dept)
        read -r t_new req_new thr_new ref_new < <(crawl "$provider" 16 bulk)
        for run in "per-dept $t_old $req_old $thr_old $ref_old" "bulk $t_new $req_new $thr_new $ref_new"; do
            read -r mode t req thr ref <<< "$run"
            bound=$(python3 -c "print($req / 100)")
            printf '%s %-8s (16 in flight, 100 req/s): %.1f s for %d requests, %d answered 429, %d refused; bound %.1f s; ratio to bound %s\n' \
                "$provider" "$mode" "$t" "$req" "$thr" "$ref" "$bound" "$(ratio "$t" "$bound")"
        done
        printf '%s bulk/per-dept: requests %s, time %s\n' "$provider" \
            "$(ratio "$req_new" "$req_old")" "$(ratio "$t_new" "$t_old")"
    done
    if [ "${SEQUENTIAL:-0}" = 1 ]; then
        read -r t_seq req_seq throttled_seq _ < <(crawl wps 1 bulk)
        printf 'wps one page at a time: %.1f s for %d requests, %d answered 429\n' \
            "$t_seq" "$req_seq" "$throttled_seq"
    fi
fi
