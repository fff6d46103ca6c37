// The throw-away PKIs of the TLS tests. CTest's fixture runs the gen_certs
// cargo example before them and passes the directories: argv[1] holds the
// PKI the tests use (ca.crt, and server.crt + server.key for localhost,
// 127.0.0.1 and ::1, signed by that CA), argv[2] an unrelated one (another
// CA, another key). Nothing here is committed: the files are made at test time.
#pragma once

#include <string>

#include "check.hpp"

struct TlsPki {
    std::string dir;

    std::string ca() const { return dir + "/ca.crt"; }
    std::string cert() const { return dir + "/server.crt"; }
    std::string key() const { return dir + "/server.key"; }

    // Server settings: this PKI's certificate and key, read from the files.
    mnet::TlsConfig server() const {
        mnet::TlsConfig c;
        if (!c.setCertificate(cert(), key())) check::fail(__FILE__, __LINE__, "setCertificate: " + c.lastError());
        return c;
    }

    // Client settings trusting only this PKI's CA.
    mnet::TlsConfig client() const {
        mnet::TlsConfig c;
        if (!c.setCaFile(ca())) check::fail(__FILE__, __LINE__, "setCaFile: " + c.lastError());
        return c;
    }
};

// The PKI given as argument `which` (1: the tests' own, 2: the unrelated one).
inline TlsPki tlsPki(int argc, char **argv, int which = 1) {
    if (argc <= which)
        check::fail(__FILE__, __LINE__,
                    "usage: " + std::string(argv[0]) + " <pki dir> <unrelated pki dir> (written by gen_certs; "
                    "CTest's fixture provides them)");
    return TlsPki{argv[which]};
}

// A TLS listener on 127.0.0.1 (port 0) serving `pki`'s certificate.
inline void tlsListen(mnet::Chann &listener, const TlsPki &pki, int backlog = 16) {
    CHECK(listener.setTlsConfig(pki.server()));
    if (!listener.channListen("127.0.0.1:0", backlog))
        check::fail(__FILE__, __LINE__, "channListen: " + listener.lastError());
    CHECK_NE(listener.myAddr().addr.port, 0);
}

// "localhost:<port of listener>": the name the test certificate is for.
inline std::string localhostOf(mnet::Chann &listener) {
    return "localhost:" + std::to_string(listener.myAddr().addr.port);
}
