#!/usr/bin/env bash
# h2o_http.sh IP:PORT - Debian's h2o (2.2) as a peer of the TechEmpower-style HTTP
# loads (bench/run.sh --only http), configured with its own YAML file only: one
# thread, no access log, /plaintext and /json answered by small mruby handlers
# with the right Content-Type (h2o adds Server, Date and Content-Length).
# H2O_HANDLER=file serves the two bodies as static files instead.
# The configuration is written to ${TMPDIR:-/tmp}/h2o_http.PORT; h2o replaces this shell.
set -eu
addr=$1
host=${addr%:*} port=${addr##*:}
# one directory per port, made afresh: runs leave one behind, not one each
dir=${TMPDIR:-/tmp}/h2o_http.$port
rm -rf "$dir"
mkdir -p "$dir"
chmod 755 "$dir"   # h2o started as root serves files as nobody
if [ "${H2O_HANDLER:-mruby}" = file ]; then
  printf 'Hello, World!' >"$dir/plaintext.txt"
  printf '{"message":"Hello, World!"}' >"$dir/message.json"
  plain="file.file: $dir/plaintext.txt"   # the type follows the extension
  json="file.file: $dir/message.json"
else
  plain='mruby.handler: Proc.new { |env| [200, {"content-type" => "text/plain"}, ["Hello, World!"]] }'
  json='mruby.handler: Proc.new { |env| [200, {"content-type" => "application/json"}, ["{\"message\":\"Hello, World!\"}"]] }'
fi
cat >"$dir/h2o.conf" <<CONF
listen:
  host: $host
  port: $port
num-threads: 1
http1-request-timeout: 60
hosts:
  default:
    paths:
      /plaintext:
        $plain
      /json:
        $json
CONF
exec h2o -m worker -c "$dir/h2o.conf"
