// Loads a shared library with dlopen and runs its echo_plugin_run(); links
// nothing of mnet itself, so the library must carry all it needs.
//   plugin_loader <path to libecho_plugin.so>
#include <dlfcn.h>

#include <iostream>

int main(int argc, char *argv[]) {
    if (argc != 2) {
        std::cerr << "usage: plugin_loader <shared library>" << std::endl;
        return 2;
    }
    void *plugin = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (plugin == nullptr) {
        std::cerr << "dlopen: " << dlerror() << std::endl;
        return 1;
    }
    typedef int (*run_fn)();
    run_fn run = reinterpret_cast<run_fn>(dlsym(plugin, "echo_plugin_run"));
    if (run == nullptr) {
        std::cerr << "dlsym echo_plugin_run: " << dlerror() << std::endl;
        return 1;
    }
    return run();
}
