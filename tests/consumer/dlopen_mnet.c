/* Loads libmnet.so with dlopen (as LuaJIT's ffi.load does), links nothing of
 * mnet itself, and calls mnet_version, then runs a round on a fresh loop.
 *   dlopen_mnet <path to libmnet.so> <expected version number>
 * Exits 0 when the library loads, the version is the expected one and the
 * loop works. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char *argv[]) {
    void *lib;
    int (*version)(void);
    int (*init)(void);
    int (*poll)(unsigned);
    if (argc != 3) {
        fprintf(stderr, "usage: dlopen_mnet <libmnet.so> <version number>\n");
        return 2;
    }
    lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    *(void **)&version = dlsym(lib, "mnet_version");
    *(void **)&init = dlsym(lib, "mnet_init");
    *(void **)&poll = dlsym(lib, "mnet_poll");
    if (version == NULL || init == NULL || poll == NULL) {
        fprintf(stderr, "dlsym: %s\n", dlerror());
        return 1;
    }
    if (version() != atoi(argv[2])) {
        fprintf(stderr, "mnet_version() is %d, expected %s\n", version(), argv[2]);
        return 1;
    }
    if (init() != 1 || poll(0) != 0) {
        fprintf(stderr, "mnet_init/mnet_poll through dlopen failed\n");
        return 1;
    }
    printf("dlopen_mnet: %s loaded, mnet_version() = %d, a round ran on a new loop\n", argv[1], version());
    return 0;
}
