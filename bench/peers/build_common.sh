# Sourced by bench/peers/build_http.sh and build_ws.sh: the folder the peers
# go to, installing the Debian packages they need, and building a peer only
# when it is older than one of its sources.

# made_dir DIR: makes DIR if missing and prints its absolute path.
made_dir() {
  mkdir -p "$1" && (cd "$1" && pwd)
}

# apt_install PKG...: installs the packages named (nothing when none is),
# as root or through sudo.
apt_install() {
  [ "$#" -gt 0 ] || return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "$(basename "$0"): installing $*" >&2
  $sudo apt-get update -qq
  # policy-rc.d (or no init) keeps packaged services (nginx, h2o) from starting
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# build NAME "SOURCE..." CMD...: runs CMD unless $out/NAME is newer than
# every source (`out`: the peers' folder, set by the script).
build() {
  local name=$1 src fresh=1 t0=$SECONDS
  for src in $2; do [ "$out/$name" -nt "$src" ] || fresh=0; done
  shift 2
  [ "$fresh" = 0 ] || return 0
  "$@"
  echo "$(basename "$0"): $name built in $((SECONDS - t0)) s -> $out/$name" >&2
}
