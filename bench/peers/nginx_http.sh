#!/usr/bin/env bash
# nginx_http.sh IP:PORT - Debian's nginx as a peer of the TechEmpower-style HTTP
# loads (bench/run.sh --only http): `return 200` with the right Content-Type
# for /plaintext and /json, keep-alive without a request limit, no logs.
# One process (master_process off), so that the PID bench/run.sh measures and
# pins is the one doing the work; nginx adds Server and Date (cached per second).
# The configuration is written to ${TMPDIR:-/tmp}/nginx_http.PORT; nginx replaces this shell.
set -eu
addr=$1
port=${addr##*:}
# one directory per port, made afresh: runs leave one behind, not one each
dir=${TMPDIR:-/tmp}/nginx_http.$port
rm -rf "$dir"
mkdir -p "$dir"
mkdir -p "$dir/tmp"
cat >"$dir/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log stderr error;
events { worker_connections 4096; multi_accept on; }
http {
  access_log off;
  client_body_temp_path $dir/tmp; proxy_temp_path $dir/tmp; fastcgi_temp_path $dir/tmp;
  uwsgi_temp_path $dir/tmp; scgi_temp_path $dir/tmp;
  keepalive_requests 100000000;
  keepalive_timeout 65;
  tcp_nodelay on;
  server {
    listen $addr reuseport backlog=1024;
    location = /plaintext { default_type text/plain; return 200 "Hello, World!"; }
    location = /json { default_type application/json; return 200 '{"message":"Hello, World!"}'; }
    location / { return 404; }
  }
}
CONF
exec nginx -p "$dir" -c "$dir/nginx.conf" -e stderr
