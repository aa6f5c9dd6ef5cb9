#!/usr/bin/env bash
# `make demo`: the Custom Charges provider end to end on a throw-away ledger. The CLI sets up the
# app, its public key (the simulator's TEST-ONLY key), a plan, limits and March usage; `serve`
# runs on a free loopback port; the simulator calls it as Wix would (both period encodings,
# both intents, Invoice Created, Charges Rejected); then SIGTERM and the provider's log.
set -euo pipefail
cd "$(dirname "$0")/.."
PL=${CARGO_TARGET_DIR:-target}/debug/partner-ledger
SIM=${CARGO_TARGET_DIR:-target}/debug/wix-sim
DIR=$(mktemp -d)
SERVE=
cleanup() { [ -n "$SERVE" ] && kill "$SERVE" 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT
pl() { "$PL" --db "$DIR/demo.sqlite" --by demo "$@"; }
APP=9a1b2c3d-0000-4000-8000-00000000a001
I1=6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31
I2=0d9e5c7a-1f2b-4c3d-8e4f-5a6b7c8d9e0f
FROM=2026-03-01T00:00:00Z
TO=2026-04-01T00:00:00Z
step() { printf '\n== %s\n' "$*"; }

step "setup: app, the app's public key, plans, limits, usage"
pl app set --id "$APP" --name "Demo Metered App"
"$SIM" public-key >"$DIR/wix-public.pem"
pl app key "$DIR/wix-public.pem"
pl plan set --metric emails --price USD=0.0019,EUR=0.0017 --description "Emails sent"
pl plan set --metric sms --price USD=0.045 --description "SMS sent"
pl limit set --currency USD --amount 100
pl limit set --instance "$I2" --currency USD --amount 20
cat >"$DIR/usage.csv" <<CSV
id,instance_id,occurred_at,metric,quantity
d1,$I1,2026-03-02T09:00:00Z,emails,12000
d2,$I1,2026-03-09T09:00:00Z,sms,310
d3,$I2,2026-03-03T09:00:00Z,emails,25000
d4,$I2,2026-03-04T09:00:00Z,sms,400
CSV
pl usage import "$DIR/usage.csv"

step "serve"
"$PL" --db "$DIR/demo.sqlite" serve --listen 127.0.0.1:0 >"$DIR/serve.out" 2>"$DIR/serve.log" &
SERVE=$!
for _ in $(seq 100); do [ -s "$DIR/serve.out" ] && break; sleep 0.1; done
URL=$(sed -n 's/^listening on //p' "$DIR/serve.out")
echo "provider at $URL"
call() { "$SIM" charges --provider "$URL" --app-id "$APP" --from "$FROM" --to "$TO" "$@"; }

step "ListCharges DISPLAY_ONLY, period as epoch milliseconds"
call --instance "$I1" --epoch-ms
step "ListCharges CREATE_INVOICE, period as RFC 3339: frozen"
ANSWER=$(call --instance "$I1" --intent CREATE_INVOICE)
echo "$ANSWER"
step "late March usage arrives; the same CREATE_INVOICE gets the same bytes"
printf 'id,instance_id,occurred_at,metric,quantity\nd5,%s,2026-03-20T09:00:00Z,emails,5000\n' "$I1" >"$DIR/late.csv"
pl usage import "$DIR/late.csv"
call --instance "$I1" --intent CREATE_INVOICE
step "Invoice Created for the first charge"
CHARGE=$(echo "$ANSWER" | sed -n 's/^{"charges":\[{"id":"\([^"]*\)","description":"[^"]*","amount":"\([^"]*\)".*/\1=\2/p')
"$SIM" invoice-created --provider "$URL" --app-id "$APP" --instance "$I1" --invoice-id inv-demo-1 --charge "$CHARGE"
step "the second instance: its limit (20 USD) cuts the answer"
ANSWER2=$(call --instance "$I2" --intent CREATE_INVOICE)
echo "$ANSWER2"
step "Charges Rejected with a new limit of 10 USD: the answer is released and computed again"
ID2=$(echo "$ANSWER2" | sed -n 's/^{"charges":\[{"id":"\([^"]*\)".*/\1/p')
"$SIM" charges-rejected --provider "$URL" --app-id "$APP" --instance "$I2" --charge "$ID2" --limit 10
call --instance "$I2" --intent CREATE_INVOICE
step "a call signed for another app is refused"
"$SIM" charges --provider "$URL" --app-id 11111111-2222-4333-8444-555555555555 --instance "$I1" --from "$FROM" --to "$TO" || true

step "SIGTERM: the provider finishes and commits its log"
kill -TERM "$SERVE"
wait "$SERVE"
SERVE=
pl charges log
