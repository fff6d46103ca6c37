-- mnet.ffi: the LuaJIT backend of mnet's Lua API, the C API (libmnet.so)
-- through LuaJIT's FFI. mnet.core and mnet.coro build the public API on it;
-- mnet/c.so (mnet_lua.c) is the same backend for PUC Lua, function for
-- function, so both interpreters run one Lua API.
--
-- The library: each package.cpath entry with "?" replaced by "libmnet"
-- (so installing libmnet.so beside the Lua C modules is enough), then the
-- system's libmnet.so / libmnet.so.0.
--
-- Declarations use private names bound to the C symbols with __asm__, so a
-- program that also ffi.cdef's m_net's header does not collide with them.
-- The hot path allocates nothing: one reused receive buffer, message fields
-- read through the pointer mnet_result_next returns (the opaque word as an
-- int32, not a boxed 64-bit value), strings passed as const char *.
local ffi = require "ffi"

ffi.cdef [[
typedef struct mnetlua_chann mnetlua_chann;
typedef struct mnetlua_tls mnetlua_tls;
typedef struct {
    int event;
    int err;
    mnetlua_chann *n;
    mnetlua_chann *r;
    int32_t index;     /* the low half of the opaque word (little endian) */
    int32_t index_hi;
} mnetlua_msg;

int mnetlua_init(void) __asm__("mnet_init");
void mnetlua_fini(void) __asm__("mnet_fini");
int mnetlua_version(void) __asm__("mnet_version");
int mnetlua_report(int level) __asm__("mnet_report");
void mnetlua_setlog(int level, void *cb) __asm__("mnet_setlog");
int64_t mnetlua_current(void) __asm__("mnet_tm_current");
const char *mnetlua_last_error(void) __asm__("mnet_last_error");
const char *mnetlua_chann_error(mnetlua_chann *n) __asm__("mnet_chann_error");
char *mnetlua_strerror(int errnum) __asm__("strerror");

typedef struct { char ip[17]; int port; } mnetlua_addr;
int mnetlua_resolve(const char *host, int port, int ctype, mnetlua_addr *out) __asm__("mnet_resolve");

int mnetlua_poll(uint32_t ms) __asm__("mnet_poll");
mnetlua_msg *mnetlua_next(void) __asm__("mnet_result_next");

mnetlua_chann *mnetlua_open(int ctype) __asm__("mnet_chann_open");
void mnetlua_close(mnetlua_chann *n) __asm__("mnet_chann_close");
void mnetlua_set_index(mnetlua_chann *n, intptr_t index) __asm__("mnet_chann_set_opaque");
int mnetlua_fd(mnetlua_chann *n) __asm__("mnet_chann_fd");
int mnetlua_ctype(mnetlua_chann *n) __asm__("mnet_chann_type");
int mnetlua_state(mnetlua_chann *n) __asm__("mnet_chann_state");
int mnetlua_cached(mnetlua_chann *n) __asm__("mnet_chann_cached");
long long mnetlua_bytes(mnetlua_chann *n, int be_send) __asm__("mnet_chann_bytes");
int mnetlua_listen(mnetlua_chann *n, const char *addr, int backlog) __asm__("mnet_chann_listen_addr");
int mnetlua_connect(mnetlua_chann *n, const char *addr) __asm__("mnet_chann_connect_addr");
void mnetlua_disconnect(mnetlua_chann *n) __asm__("mnet_chann_disconnect");
void mnetlua_active(mnetlua_chann *n, int event, int64_t value) __asm__("mnet_chann_active_event");
int mnetlua_recv(mnetlua_chann *n, uint8_t *buf, int len) __asm__("mnet_chann_recv");
int mnetlua_send(mnetlua_chann *n, const char *buf, int len) __asm__("mnet_chann_send");
int mnetlua_dgram_recv(mnetlua_chann *n, char *from, int fromlen, uint8_t *buf, int len) __asm__("mnet_dgram_recv_text");
int mnetlua_dgram_send(mnetlua_chann *n, const char *to, const char *buf, int len) __asm__("mnet_dgram_send_text");
int mnetlua_addr_text(mnetlua_chann *n, int peer, char *out, int outlen) __asm__("mnet_chann_addr_text");
int mnetlua_bufsize(mnetlua_chann *n, int size) __asm__("mnet_chann_socket_set_bufsize");

int mnetlua_half_close(mnetlua_chann *n, int on) __asm__("mnet_chann_set_half_close");
int mnetlua_shutdown_write(mnetlua_chann *n) __asm__("mnet_chann_shutdown_write");
int mnetlua_idle_timeout(mnetlua_chann *n, int64_t ms) __asm__("mnet_chann_set_idle_timeout");
int mnetlua_send_limit(mnetlua_chann *n, int64_t bytes) __asm__("mnet_chann_set_send_limit");
int mnetlua_reuse_port(mnetlua_chann *n, int on) __asm__("mnet_chann_set_reuse_port");
int mnetlua_handshake_timeout(mnetlua_chann *n, int64_t ms) __asm__("mnet_chann_set_handshake_timeout");
int mnetlua_max_handshakes(mnetlua_chann *n, int64_t count) __asm__("mnet_chann_set_max_handshakes");
int mnetlua_server_name(mnetlua_chann *n, const char *name) __asm__("mnet_chann_set_server_name");

mnetlua_tls *mnetlua_tls_new(void) __asm__("mnet_tls_config_new");
void mnetlua_tls_free(mnetlua_tls *cfg) __asm__("mnet_tls_config_free");
int mnetlua_tls_cert_file(mnetlua_tls *cfg, const char *cert, const char *key) __asm__("mnet_tls_config_set_cert_file");
int mnetlua_tls_cert_pem(mnetlua_tls *cfg, const char *cert, const char *key) __asm__("mnet_tls_config_set_cert_pem");
int mnetlua_tls_ca_file(mnetlua_tls *cfg, const char *path) __asm__("mnet_tls_config_set_ca_file");
int mnetlua_tls_ca_pem(mnetlua_tls *cfg, const char *pem) __asm__("mnet_tls_config_set_ca_pem");
int mnetlua_tls_alpn(mnetlua_tls *cfg, const char *protocol) __asm__("mnet_tls_config_add_alpn");
int mnetlua_tls_skip_verify(mnetlua_tls *cfg) __asm__("mnet_tls_config_dangerous_skip_verify");
int mnetlua_set_tls(mnetlua_chann *n, mnetlua_tls *cfg) __asm__("mnet_chann_set_tls");
]]

local function load_library()
    local tried = {}
    for entry in package.cpath:gmatch("[^;]+") do
        local path = entry:gsub("%?", "libmnet")
        local ok, lib = pcall(ffi.load, path)
        if ok then return lib end
        tried[#tried + 1] = path
    end
    for _, name in ipairs({ "mnet", "libmnet.so.0" }) do
        local ok, lib = pcall(ffi.load, name)
        if ok then return lib end
        tried[#tried + 1] = name
    end
    error("mnet: cannot load libmnet.so (tried " .. table.concat(tried, ", ") .. ")", 3)
end

local C = load_library()
local ffi_string, tonumber = ffi.string, tonumber

local B = { name = "ffi", lib = C }

local recv_size = 65536
local recv_buf = ffi.new("uint8_t[?]", recv_size)
local TEXT_LEN = 128 -- "[v6 address%scope]:port" and its NUL fit
local text_buf = ffi.new("char[?]", TEXT_LEN)
local addr = ffi.new("mnetlua_addr[1]")

function B.init() return C.mnetlua_init() end
function B.fini() C.mnetlua_fini() end
function B.version() return C.mnetlua_version() end
function B.report(level) return C.mnetlua_report(level) end
function B.setlog(level) C.mnetlua_setlog(level, nil) end
function B.current() return tonumber(C.mnetlua_current()) end
function B.last_error() return ffi_string(C.mnetlua_last_error()) end
function B.chann_error(n) return ffi_string(C.mnetlua_chann_error(n)) end
function B.strerror(errnum) return ffi_string(C.mnetlua_strerror(errnum)) end

function B.resolve(host, port)
    if C.mnetlua_resolve(host, port, 1, addr) == 0 then return nil end
    return ffi_string(addr[0].ip), tonumber(addr[0].port)
end

function B.poll(ms) return C.mnetlua_poll(ms) end

-- The next message: event, err, the chann's index (its opaque word) and,
-- for ACCEPT, the new chann; nil when the round is over.
function B.next()
    local m = C.mnetlua_next()
    if m == nil then return nil end
    if m.event == 3 then return 3, m.err, m.index, m.r end
    return m.event, m.err, m.index
end

function B.open(ctype)
    local n = C.mnetlua_open(ctype)
    if n == nil then return nil end
    return n
end
function B.close(n) C.mnetlua_close(n) end
function B.set_index(n, index) C.mnetlua_set_index(n, index) end
function B.fd(n) return C.mnetlua_fd(n) end
function B.ctype(n) return C.mnetlua_ctype(n) end
function B.state(n) return C.mnetlua_state(n) end
function B.cached(n) return C.mnetlua_cached(n) end
function B.bytes(n, be_send) return tonumber(C.mnetlua_bytes(n, be_send)) end
function B.listen(n, address, backlog) return C.mnetlua_listen(n, address, backlog) end
function B.connect(n, address) return C.mnetlua_connect(n, address) end
function B.disconnect(n) C.mnetlua_disconnect(n) end
function B.active(n, event, value) C.mnetlua_active(n, event, value) end

-- A string of what was read, "" when nothing is waiting, nil on error.
function B.recv(n)
    local got = C.mnetlua_recv(n, recv_buf, recv_size)
    if got > 0 then return ffi_string(recv_buf, got) end
    if got == 0 then return "" end
    return nil
end

function B.send(n, data) return C.mnetlua_send(n, data, #data) end

-- One datagram and its sender ("ip:port"), "" when none is waiting, nil on
-- error. An empty datagram is "" with its sender.
function B.dgram_recv(n)
    text_buf[0] = 0
    local got = C.mnetlua_dgram_recv(n, text_buf, TEXT_LEN, recv_buf, recv_size)
    if got < 0 then return nil end
    if got == 0 and text_buf[0] == 0 then return "" end
    return ffi_string(recv_buf, got), ffi_string(text_buf)
end

function B.dgram_send(n, data, to) return C.mnetlua_dgram_send(n, to, data, #data) end

function B.addr(n, peer)
    local len = C.mnetlua_addr_text(n, peer and 1 or 0, text_buf, TEXT_LEN)
    if len < 0 then return nil end
    return ffi_string(text_buf, len)
end

function B.bufsize(n, size) return C.mnetlua_bufsize(n, size) end
function B.shutdown_write(n) return C.mnetlua_shutdown_write(n) end

local setters = {
    half_close = function(n, v) return C.mnetlua_half_close(n, v and 1 or 0) end,
    reuse_port = function(n, v) return C.mnetlua_reuse_port(n, v and 1 or 0) end,
    idle_timeout = function(n, v) return C.mnetlua_idle_timeout(n, v) end,
    send_limit = function(n, v) return C.mnetlua_send_limit(n, v) end,
    handshake_timeout = function(n, v) return C.mnetlua_handshake_timeout(n, v) end,
    max_handshakes = function(n, v) return C.mnetlua_max_handshakes(n, v) end,
    server_name = function(n, v) return C.mnetlua_server_name(n, v) end,
}
-- A channel setting by name (the names of setters above); 1 or 0.
function B.set(n, what, value) return setters[what](n, value) end

function B.recv_size(size)
    recv_size = size
    recv_buf = ffi.new("uint8_t[?]", size)
end

function B.tls_new() return ffi.gc(C.mnetlua_tls_new(), C.mnetlua_tls_free) end
local tls_setters = {
    cert_file = function(cfg, a, b) return C.mnetlua_tls_cert_file(cfg, a, b) end,
    cert_pem = function(cfg, a, b) return C.mnetlua_tls_cert_pem(cfg, a, b) end,
    ca_file = function(cfg, a) return C.mnetlua_tls_ca_file(cfg, a) end,
    ca_pem = function(cfg, a) return C.mnetlua_tls_ca_pem(cfg, a) end,
    alpn = function(cfg, a) return C.mnetlua_tls_alpn(cfg, a) end,
    skip_verify = function(cfg) return C.mnetlua_tls_skip_verify(cfg) end,
}
-- A TLS setting by name (the names of tls_setters above); 1 or 0.
function B.tls_set(cfg, what, a, b) return tls_setters[what](cfg, a, b) end
function B.set_tls(n, cfg) return C.mnetlua_set_tls(n, cfg) end

return B
