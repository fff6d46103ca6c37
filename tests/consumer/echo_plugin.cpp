// A consumer's shared library that links mnet::mnet (a static mnet must be
// position-independent for this to link). plugin_loader dlopens it.
#include "loopback_echo.hpp"

extern "C" __attribute__((visibility("default"))) int echo_plugin_run() {
    return loopback_echo("echo_plugin");
}
