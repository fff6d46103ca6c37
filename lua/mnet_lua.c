/*
 * mnet.c: the PUC Lua backend of mnet's Lua API (Lua 5.1 to 5.4), plain C
 * over the C API (<mnet/mnet_ext.h>). It is mnet/ffi.lua function for
 * function (the same names, arguments and results), so mnet.core and
 * mnet.coro build one Lua API on either; see that file for the contract.
 *
 * Plain C rather than mlua: the module stays one small object linked to
 * libmnet.a, with no second Rust runtime and no build-time crates or rocks
 * (luarocks-build-rust-mlua), and it compiles against any Lua 5.1-5.4
 * headers, LuaJIT's included. A chann is passed as a light userdata (its
 * chann_t*, which the C API never dereferences: a stale one is an error,
 * not a crash); TLS settings are a full userdata freed by the collector.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include <mnet/mnet_ext.h>

#if LUA_VERSION_NUM < 502 && !defined(luaL_newlib) /* Lua 5.1 (LuaJIT 2.1 has it) */
#define luaL_newlib(L, l) (lua_newtable(L), luaL_register(L, NULL, l))
#endif

#define TEXT_LEN 128 /* "[v6 address%scope]:port" and its NUL fit */
#define TLS_META "mnet.tls_config"

/* The receive buffer, one per thread like mnet's loop (a Lua state runs on
 * one thread at a time). */
static _Thread_local unsigned char *recv_buf;
static _Thread_local int recv_size;

static int ensure_buf(lua_State *L) {
    if (recv_buf == NULL) {
        recv_buf = (unsigned char *)malloc(65536);
        if (recv_buf == NULL) return luaL_error(L, "mnet: out of memory for the receive buffer");
        recv_size = 65536;
    }
    return 0;
}

static chann_t *chann_arg(lua_State *L, int i) {
    luaL_checktype(L, i, LUA_TLIGHTUSERDATA);
    return (chann_t *)lua_touserdata(L, i);
}

static int ret_int(lua_State *L, lua_Integer v) {
    lua_pushinteger(L, v);
    return 1;
}

static int l_init(lua_State *L) { return ret_int(L, mnet_init()); }

static int l_fini(lua_State *L) {
    (void)L;
    mnet_fini();
    return 0;
}

static int l_version(lua_State *L) { return ret_int(L, mnet_version()); }
static int l_report(lua_State *L) { return ret_int(L, mnet_report((int)luaL_checkinteger(L, 1))); }

static int l_setlog(lua_State *L) {
    mnet_setlog((int)luaL_checkinteger(L, 1), NULL);
    return 0;
}

static int l_current(lua_State *L) {
    lua_pushnumber(L, (lua_Number)mnet_tm_current());
    return 1;
}

static int l_last_error(lua_State *L) {
    lua_pushstring(L, mnet_last_error());
    return 1;
}

static int l_chann_error(lua_State *L) {
    lua_pushstring(L, mnet_chann_error(chann_arg(L, 1)));
    return 1;
}

static int l_strerror(lua_State *L) {
    lua_pushstring(L, strerror((int)luaL_checkinteger(L, 1)));
    return 1;
}

static int l_resolve(lua_State *L) {
    chann_addr_t addr;
    if (!mnet_resolve(luaL_checkstring(L, 1), (int)luaL_checkinteger(L, 2), CHANN_TYPE_STREAM, &addr)) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushstring(L, addr.ip);
    lua_pushinteger(L, addr.port);
    return 2;
}

static int l_poll(lua_State *L) { return ret_int(L, mnet_poll((uint32_t)luaL_checknumber(L, 1))); }

/* The next message: event, err, the chann's index (its opaque word) and,
 * for ACCEPT, the new chann; nil when the round is over. */
static int l_next(lua_State *L) {
    chann_msg_t *m = mnet_result_next();
    if (m == NULL) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushinteger(L, m->event);
    lua_pushinteger(L, m->err);
    lua_pushinteger(L, (lua_Integer)(intptr_t)m->opaque);
    if (m->event != CHANN_EVENT_ACCEPT) return 3;
    lua_pushlightuserdata(L, m->r);
    return 4;
}

static int l_open(lua_State *L) {
    chann_t *n = mnet_chann_open((chann_type_t)luaL_checkinteger(L, 1));
    if (n == NULL) {
        lua_pushnil(L);
    } else {
        lua_pushlightuserdata(L, n);
    }
    return 1;
}

static int l_close(lua_State *L) {
    mnet_chann_close(chann_arg(L, 1));
    return 0;
}

static int l_set_index(lua_State *L) {
    mnet_chann_set_opaque(chann_arg(L, 1), (void *)(intptr_t)luaL_checkinteger(L, 2));
    return 0;
}

static int l_fd(lua_State *L) { return ret_int(L, mnet_chann_fd(chann_arg(L, 1))); }
static int l_ctype(lua_State *L) { return ret_int(L, mnet_chann_type(chann_arg(L, 1))); }
static int l_state(lua_State *L) { return ret_int(L, mnet_chann_state(chann_arg(L, 1))); }
static int l_cached(lua_State *L) { return ret_int(L, mnet_chann_cached(chann_arg(L, 1))); }

static int l_bytes(lua_State *L) {
    lua_pushnumber(L, (lua_Number)mnet_chann_bytes(chann_arg(L, 1), (int)luaL_checkinteger(L, 2)));
    return 1;
}

static int l_listen(lua_State *L) {
    return ret_int(L, mnet_chann_listen_addr(chann_arg(L, 1), luaL_checkstring(L, 2), (int)luaL_checkinteger(L, 3)));
}

static int l_connect(lua_State *L) { return ret_int(L, mnet_chann_connect_addr(chann_arg(L, 1), luaL_checkstring(L, 2))); }

static int l_disconnect(lua_State *L) {
    mnet_chann_disconnect(chann_arg(L, 1));
    return 0;
}

static int l_active(lua_State *L) {
    mnet_chann_active_event(chann_arg(L, 1), (chann_event_t)luaL_checkinteger(L, 2), (int64_t)luaL_checknumber(L, 3));
    return 0;
}

/* A string of what was read, "" when nothing is waiting, nil on error. */
static int l_recv(lua_State *L) {
    chann_t *n = chann_arg(L, 1);
    int got;
    ensure_buf(L);
    got = mnet_chann_recv(n, recv_buf, recv_size);
    if (got < 0) {
        lua_pushnil(L);
    } else {
        lua_pushlstring(L, (const char *)recv_buf, (size_t)got);
    }
    return 1;
}

static int l_send(lua_State *L) {
    size_t len;
    const char *data = luaL_checklstring(L, 2, &len);
    return ret_int(L, mnet_chann_send(chann_arg(L, 1), (void *)data, (int)len));
}

/* One datagram and its sender ("ip:port"), "" when none is waiting, nil on
 * error. An empty datagram is "" with its sender. */
static int l_dgram_recv(lua_State *L) {
    chann_t *n = chann_arg(L, 1);
    char from[TEXT_LEN];
    int got;
    ensure_buf(L);
    from[0] = '\0';
    got = mnet_dgram_recv_text(n, from, TEXT_LEN, recv_buf, recv_size);
    if (got < 0) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushlstring(L, (const char *)recv_buf, (size_t)got);
    if (got == 0 && from[0] == '\0') return 1;
    lua_pushstring(L, from);
    return 2;
}

static int l_dgram_send(lua_State *L) {
    size_t len;
    const char *data = luaL_checklstring(L, 2, &len);
    return ret_int(L, mnet_dgram_send_text(chann_arg(L, 1), luaL_checkstring(L, 3), data, (int)len));
}

static int l_addr(lua_State *L) {
    char text[TEXT_LEN];
    int len = mnet_chann_addr_text(chann_arg(L, 1), lua_toboolean(L, 2), text, TEXT_LEN);
    if (len < 0) {
        lua_pushnil(L);
    } else {
        lua_pushlstring(L, text, (size_t)len);
    }
    return 1;
}

static int l_bufsize(lua_State *L) {
    return ret_int(L, mnet_chann_socket_set_bufsize(chann_arg(L, 1), (int)luaL_checkinteger(L, 2)));
}

static int l_shutdown_write(lua_State *L) { return ret_int(L, mnet_chann_shutdown_write(chann_arg(L, 1))); }

/* A channel setting by name; 1 or 0. */
static int l_set(lua_State *L) {
    static const char *const names[] = {"half_close",        "reuse_port",     "idle_timeout", "send_limit",
                                        "handshake_timeout", "max_handshakes", "server_name",  NULL};
    chann_t *n = chann_arg(L, 1);
    int r = 0;
    switch (luaL_checkoption(L, 2, NULL, names)) {
    case 0: r = mnet_chann_set_half_close(n, lua_toboolean(L, 3)); break;
    case 1: r = mnet_chann_set_reuse_port(n, lua_toboolean(L, 3)); break;
    case 2: r = mnet_chann_set_idle_timeout(n, (int64_t)luaL_checknumber(L, 3)); break;
    case 3: r = mnet_chann_set_send_limit(n, (int64_t)luaL_checknumber(L, 3)); break;
    case 4: r = mnet_chann_set_handshake_timeout(n, (int64_t)luaL_checknumber(L, 3)); break;
    case 5: r = mnet_chann_set_max_handshakes(n, (int64_t)luaL_checknumber(L, 3)); break;
    case 6: r = mnet_chann_set_server_name(n, luaL_checkstring(L, 3)); break;
    }
    return ret_int(L, r);
}

static int l_recv_size(lua_State *L) {
    lua_Integer size = luaL_checkinteger(L, 1);
    unsigned char *buf;
    luaL_argcheck(L, size > 0 && size <= 0x7fffffff, 1, "size out of range");
    buf = (unsigned char *)realloc(recv_buf, (size_t)size);
    if (buf == NULL) return luaL_error(L, "mnet: out of memory for a %d-byte receive buffer", (int)size);
    recv_buf = buf;
    recv_size = (int)size;
    return 0;
}

/* ---- TLS settings: a userdata holding the mnet_tls_config_t* ---- */

static mnet_tls_config_t **tls_arg(lua_State *L, int i) {
    mnet_tls_config_t **cfg = (mnet_tls_config_t **)luaL_checkudata(L, i, TLS_META);
    if (*cfg == NULL) luaL_argerror(L, i, "TLS settings already freed");
    return cfg;
}

static int l_tls_gc(lua_State *L) {
    mnet_tls_config_t **cfg = (mnet_tls_config_t **)luaL_checkudata(L, 1, TLS_META);
    if (*cfg != NULL) {
        mnet_tls_config_free(*cfg);
        *cfg = NULL;
    }
    return 0;
}

static int l_tls_new(lua_State *L) {
    mnet_tls_config_t **cfg = (mnet_tls_config_t **)lua_newuserdata(L, sizeof *cfg);
    *cfg = NULL;
    luaL_getmetatable(L, TLS_META);
    lua_setmetatable(L, -2);
    *cfg = mnet_tls_config_new();
    if (*cfg == NULL) return luaL_error(L, "mnet: cannot make TLS settings: %s", mnet_last_error());
    return 1;
}

/* A TLS setting by name; 1 or 0. */
static int l_tls_set(lua_State *L) {
    static const char *const names[] = {"cert_file", "cert_pem", "ca_file", "ca_pem", "alpn", "skip_verify", NULL};
    mnet_tls_config_t *cfg = *tls_arg(L, 1);
    int r = 0;
    switch (luaL_checkoption(L, 2, NULL, names)) {
    case 0: r = mnet_tls_config_set_cert_file(cfg, luaL_checkstring(L, 3), luaL_checkstring(L, 4)); break;
    case 1: r = mnet_tls_config_set_cert_pem(cfg, luaL_checkstring(L, 3), luaL_checkstring(L, 4)); break;
    case 2: r = mnet_tls_config_set_ca_file(cfg, luaL_checkstring(L, 3)); break;
    case 3: r = mnet_tls_config_set_ca_pem(cfg, luaL_checkstring(L, 3)); break;
    case 4: r = mnet_tls_config_add_alpn(cfg, luaL_checkstring(L, 3)); break;
    case 5: r = mnet_tls_config_dangerous_skip_verify(cfg); break;
    }
    return ret_int(L, r);
}

static int l_set_tls(lua_State *L) { return ret_int(L, mnet_chann_set_tls(chann_arg(L, 1), *tls_arg(L, 2))); }

static const luaL_Reg functions[] = {
    {"init", l_init},
    {"fini", l_fini},
    {"version", l_version},
    {"report", l_report},
    {"setlog", l_setlog},
    {"current", l_current},
    {"last_error", l_last_error},
    {"chann_error", l_chann_error},
    {"strerror", l_strerror},
    {"resolve", l_resolve},
    {"poll", l_poll},
    {"next", l_next},
    {"open", l_open},
    {"close", l_close},
    {"set_index", l_set_index},
    {"fd", l_fd},
    {"ctype", l_ctype},
    {"state", l_state},
    {"cached", l_cached},
    {"bytes", l_bytes},
    {"listen", l_listen},
    {"connect", l_connect},
    {"disconnect", l_disconnect},
    {"active", l_active},
    {"recv", l_recv},
    {"send", l_send},
    {"dgram_recv", l_dgram_recv},
    {"dgram_send", l_dgram_send},
    {"addr", l_addr},
    {"bufsize", l_bufsize},
    {"shutdown_write", l_shutdown_write},
    {"set", l_set},
    {"recv_size", l_recv_size},
    {"tls_new", l_tls_new},
    {"tls_set", l_tls_set},
    {"set_tls", l_set_tls},
    {NULL, NULL},
};

#if defined(__GNUC__)
__attribute__((visibility("default")))
#endif
int luaopen_mnet_c(lua_State *L) {
    ensure_buf(L);
    if (luaL_newmetatable(L, TLS_META)) {
        lua_pushcfunction(L, l_tls_gc);
        lua_setfield(L, -2, "__gc");
        lua_pushliteral(L, "mnet TLS settings");
        lua_setfield(L, -2, "__metatable");
    }
    lua_pop(L, 1);
    luaL_newlib(L, functions);
    lua_pushliteral(L, "c");
    lua_setfield(L, -2, "name");
    return 1;
}
