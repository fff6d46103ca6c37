// The connection of the chann_web servers (chann_web, multi_thread_svr,
// prefork_svr): read through a 400-byte buffer, count request ends across
// reads, answer each with the same prebuilt response, keep the connection.
// A client whose answers back up past 256 KiB is not read from until they
// are out (RECV paused, resumed on SEND), so memory stays bounded whatever a
// client does.
#pragma once

#include <string>

#include <mnet/mnet.hpp>

#include "request_counter.hpp"

class WebChann : public mnet::Chann {
public:
    static const int RB_LEN = 400;
    static const int MAX_QUEUED = 256 * 1024;

    // Adopts an accepted channel; `response` must outlive the connection.
    WebChann(mnet::Chann *accepted, const std::string &response) : Chann(accepted), m_response(response) {}

    void defaultEventHandler(mnet::Chann *, chann_event_t event, int) override {
        if (event == CHANN_EVENT_RECV) {
            int n = channRecv(m_rb, RB_LEN);
            for (int count = m_counter.feed(m_rb, n); count > 0; --count) {
                channSend(m_response.data(), static_cast<int>(m_response.size()));
            }
            if (dataCached() > MAX_QUEUED) {
                // Backpressure: stop reading until the answers are out.
                channActiveEvent(CHANN_EVENT_RECV, 0);
                channActiveEvent(CHANN_EVENT_SEND, 1);
            }
        } else if (event == CHANN_EVENT_SEND) {
            channActiveEvent(CHANN_EVENT_SEND, 0);
            channActiveEvent(CHANN_EVENT_RECV, 1);
        } else if (event == CHANN_EVENT_DISCONNECT) {
            delete this;
        }
    }

private:
    const std::string &m_response;
    RequestCounter m_counter;
    char m_rb[RB_LEN];
};
