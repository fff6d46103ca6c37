# Sourced by bench/run.sh: the servers of the WebSocket benchmark and how each
# starts on PORT, with permessage-deflate accepted when DEFLATE is 1. Needs
# PORT, MB (examples/ws_echo_server's directory), RB (bench/rust's release
# directory) and WS_PEERS_DIR (bench/peers/build_ws.sh's output).
WS_SERVERS="mnet lws beast tungstenite"
ws_server_cmd() {  # NAME DEFLATE
  local z=
  [ "$2" = 1 ] && z=--deflate
  case $1 in
    # mnet's echo server accepts permessage-deflate whenever a client offers
    # it: the client decides.
    mnet) echo "$MB/ws_echo_server 127.0.0.1:$PORT" ;;
    lws) echo "$WS_PEERS_DIR/lws_ws_echo 127.0.0.1:$PORT $z" ;;
    beast) echo "$WS_PEERS_DIR/beast_ws 127.0.0.1:$PORT $z" ;;
    tungstenite) echo "$RB/tungstenite_ws 127.0.0.1:$PORT" ;;
  esac
}
# tungstenite 0.30 (the newest release) has no permessage-deflate.
ws_skips() {  # DEFLATE NAME: true when NAME cannot run that load
  [ "$1-$2" = 1-tungstenite ]
}
