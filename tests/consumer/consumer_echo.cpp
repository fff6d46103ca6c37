// The consumer checks' program: a loopback echo from an executable that links
// mnet::mnet. Exits 0 when the client gets its bytes back.
#include "loopback_echo.hpp"

int main() { return loopback_echo("consumer_echo"); }
