# Sourced by bench/run.sh and bench/http_syscalls.sh: the servers of the HTTP
# benchmark and how each starts ({PORT} is replaced by the port). Needs HERE
# (bench/), MB (examples/http_server's directory), RB (bench/rust's release
# directory) and HTTP_PEERS_DIR (bench/peers/build_http.sh's output).
HTTP_SERVERS="mnet limit nginx h2o hyper beast httplib"
http_server_cmd() {  # NAME
  case $1 in
    mnet) echo "$MB/http_server 127.0.0.1:{PORT}" ;;
    limit) echo "$HTTP_PEERS_DIR/epoll_http 127.0.0.1:{PORT}" ;;
    nginx) echo "$HERE/peers/nginx_http.sh 127.0.0.1:{PORT}" ;;
    h2o) echo "$HERE/peers/h2o_http.sh 127.0.0.1:{PORT}" ;;
    hyper) echo "$RB/hyper_http 127.0.0.1:{PORT}" ;;
    beast) echo "$HTTP_PEERS_DIR/beast_http 127.0.0.1:{PORT}" ;;
    httplib) echo "$HTTP_PEERS_DIR/httplib_http 127.0.0.1:{PORT}" ;;
  esac
}
# cpp-httplib 0.11 reads each request through a stream of its own and drops
# what that stream read ahead: of pipelined requests it answers the first
# only, and wrk's pipelined connections stall. It sits out the plaintext load.
http_skips() {  # LOAD NAME: true when NAME cannot run LOAD
  [ "$1-$2" = plaintext-httplib ]
}
