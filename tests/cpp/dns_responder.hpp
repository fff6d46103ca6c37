// A tiny DNS responder made of a "udp" Chann, for the resolver tests. It
// runs in the same event loop as the code under test, so an answer can only
// come if resolving never blocks that loop. It answers A queries from a
// table (NOERROR with the address, empty for other types) and NXDOMAIN for
// unknown names; `silent` makes it count queries and answer none.
#pragma once

#include <arpa/inet.h>

#include <map>
#include <string>

#include "check.hpp"

class DnsResponder : public mnet::Chann {
public:
    explicit DnsResponder(bool silent = false) : Chann("udp"), m_silent(silent) {
        CHECK(channListen("127.0.0.1:0"));
    }

    std::string address() { return myAddr().addrString; }
    void add(const std::string &name, const std::string &ipv4) { m_table[name] = ipv4; }
    int queries = 0;

    void defaultEventHandler(Chann *, chann_event_t event, int) override {
        if (event != CHANN_EVENT_RECV) return;
        unsigned char q[512];
        mnet::ChannAddr from;
        int n;
        while ((n = channRecvFrom(q, sizeof q, from)) > 0) {
            ++queries;
            if (!m_silent && n > 12) answer(q, n, from);
        }
    }

private:
    void answer(const unsigned char *q, int n, const mnet::ChannAddr &from) {
        // The question: labels from offset 12, then type and class.
        std::string name;
        int at = 12;
        while (at < n && q[at] != 0) {
            int len = q[at];
            if (!name.empty()) name += '.';
            name.append(reinterpret_cast<const char *>(q + at + 1), static_cast<size_t>(len));
            at += len + 1;
        }
        const int qend = at + 5;  // the zero label, type, class
        if (qend > n) return;
        const int qtype = q[at + 1] << 8 | q[at + 2];
        std::string r(reinterpret_cast<const char *>(q), static_cast<size_t>(qend));
        auto known = m_table.find(name);
        r[2] = static_cast<char>(0x81);  // response, recursion desired
        r[3] = static_cast<char>(known == m_table.end() ? 0x83 : 0x80);  // NXDOMAIN or NOERROR
        r[6] = r[7] = r[8] = r[9] = r[10] = r[11] = 0;
        if (known != m_table.end() && qtype == 1) {
            r[7] = 1;  // one answer: the name (a pointer to the question), A, IN, TTL 60, 4 bytes
            const unsigned char rr[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4};
            r.append(reinterpret_cast<const char *>(rr), sizeof rr);
            unsigned char ip[4];
            CHECK_EQ(inet_pton(AF_INET, known->second.c_str(), ip), 1);
            r.append(reinterpret_cast<const char *>(ip), 4);
        }
        CHECK_EQ(channSendTo(r.data(), static_cast<int>(r.size()), from), static_cast<int>(r.size()));
    }

    bool m_silent;
    std::map<std::string, std::string> m_table;
};
