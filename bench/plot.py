#!/usr/bin/env python3
"""plot.py FIGURES_TSV OUT_PNG [TITLE] [web|http|ws]: server CPU per request
(message) and req/s (messages/s) of every server, medians (written by run.sh).
web: the chann_web servers under the standard and pipelined loads; http:
examples/http_server and the HTTP peers under TechEmpower's plaintext and json
loads; ws: examples/ws_echo_server and the WebSocket peers under the four echo
loads."""
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

figs, out = sys.argv[1], sys.argv[2]
title = sys.argv[3] if len(sys.argv) > 3 else ""
which = sys.argv[4] if len(sys.argv) > 4 else "web"
vals = {}
for line in open(figs):
    sec, who, metric, v = line.rstrip("\n").split("\t")
    try:
        vals.setdefault((sec, who, metric), []).append(float(v))
    except ValueError:
        pass

metrics = (("cpu_us_req", "server CPU µs / request (lower is better)"), ("rps", "requests / s (higher is better)"))
client = "wrk -t1 -c100"
if which == "ws":
    servers = ["mnet", "lws", "beast", "tungstenite"]
    labels = {"mnet": "mnet\nws_echo_server", "lws": "libwebsockets", "beast": "Beast", "tungstenite": "tungstenite"}
    colors = {"mnet": "#d62728", "lws": "#2ca02c", "beast": "#1f77b4", "tungstenite": "#ff7f0e"}
    sections = (("ws-64", "64 B text"), ("ws-64-deflate", "64 B text, permessage-deflate"),
                ("ws-16k", "16 KiB text"), ("ws-16k-deflate", "16 KiB text, permessage-deflate"))
    what = "WebSocket echo servers"
    metrics = (("cpu_us_msg", "server CPU µs / message (lower is better)"), ("msgs_s", "messages / s (higher is better)"))
    client = "ws_load, 100 connections"
elif which == "http":
    servers = ["mnet", "limit", "nginx", "h2o", "hyper", "beast", "httplib"]
    labels = {"mnet": "mnet\nhttp_server", "limit": "epoll_http\n(limit)", "nginx": "nginx", "h2o": "h2o",
              "hyper": "hyper", "beast": "Beast", "httplib": "cpp-\nhttplib"}
    colors = {"mnet": "#d62728", "limit": "#7f7f7f", "nginx": "#2ca02c", "h2o": "#9467bd", "hyper": "#ff7f0e",
              "beast": "#1f77b4", "httplib": "#8c564b"}
    sections = (("plaintext", "plaintext, pipelined x16"), ("json", "json, one request at a time"))
    what = "HTTP servers (TechEmpower plaintext and json)"
else:
    servers = ["mnet", "limit", "asio", "tokio", "mio"]
    labels = {"mnet": "mnet\nchann_web", "limit": "epoll_web\net batch", "asio": "Asio", "tokio": "tokio", "mio": "mio"}
    colors = {"mnet": "#d62728", "limit": "#7f7f7f", "asio": "#1f77b4", "tokio": "#2ca02c", "mio": "#ff7f0e"}
    sections = (("web", "standard (12 KB body)"), ("pipe", "pipelined x8 (13 B body)"))
    what = "chann_web servers"
sections = [(s, n) for s, n in sections if any(k[0] == s for k in vals)]
fig, axes = plt.subplots(len(sections), 2, figsize=(11, 4.2 * len(sections)), squeeze=False)
for row, (sec, name) in enumerate(sections):
    for col, (metric, ylabel) in enumerate(metrics):
        ax = axes[row][col]
        xs, ys, cs = [], [], []
        for s in servers:
            v = vals.get((sec, s, metric))
            if v:
                xs.append(labels[s])
                ys.append(statistics.median(v))
                cs.append(colors[s])
        bars = ax.bar(xs, ys, color=cs)
        for b, y in zip(bars, ys):
            txt = f"{y:.2f}" if metric.startswith("cpu_") else f"{y / 1000:.0f}k"
            ax.annotate(txt, (b.get_x() + b.get_width() / 2, y), ha="center", va="bottom", fontsize=9)
        ax.set_title(f"{name}: {metric.replace('_', ' ')}", fontsize=10)
        ax.set_ylabel(ylabel, fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
        ax.margins(y=0.15)
fig.suptitle(f"{what}, medians of alternated pinned runs (server CPU 0, {client} CPU 1)\n{title}",
             fontsize=10)
fig.tight_layout()
fig.savefig(out, dpi=110)
