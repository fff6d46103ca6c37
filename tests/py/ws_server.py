"""A WebSocket server in Python's `websockets` library, the peer of mnet's
WebSocket client in tests/ws_client.rs. Prints `PORT n` once listening,
then serves until stdin closes.

    python ws_server.py [--deflate PARAMS] [--tls CERT KEY]

--deflate: `default` (websockets' own permessage-deflate), `none`, or
`strict`: server_no_context_takeover, client_no_context_takeover,
server_max_window_bits=10 and client_max_window_bits=9 asked of every
client.

Subprotocol `chat` is chosen when offered (else none); a request for
`/forbidden` is answered 403. Every message is echoed, except
these texts:
  `fragments`         -> the text "fragmented", sent in three frames
  `ping-me`           -> a ping "from-server"; once its pong came, "pong came"
  `close:CODE:REASON` -> the server closes with CODE and REASON
  `extensions`        -> the Sec-WebSocket-Extensions the server answered
  `last-close`        -> "CODE REASON" of the close the previous connection
                         received, once its handler is done
"""

import argparse
import asyncio
import ssl
import sys

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

# Per connection, in order: an event set once its handler is done, and
# "CODE REASON" of the close it received.
finished = []
closes = []


def select_subprotocol(connection, offered):
    return "chat" if "chat" in offered else None


def process_request(connection, request):
    if request.path == "/forbidden":
        return connection.respond(403, "forbidden\n")
    return None


async def handler(ws):
    me = len(finished)
    finished.append(asyncio.Event())
    closes.append("none")
    try:
        await serve_messages(ws, me)
    except ConnectionClosed:
        pass
    finally:
        closes[me] = f"{ws.close_code} {ws.close_reason}"
        finished[me].set()


async def serve_messages(ws, me):
    async for msg in ws:
        if msg == "fragments":
            await ws.send(["frag", "ment", "ed"])
        elif msg == "ping-me":
            waiter = await ws.ping(b"from-server")
            await waiter
            await ws.send("pong came")
        elif isinstance(msg, str) and msg.startswith("close:"):
            _, code, reason = msg.split(":", 2)
            await ws.close(int(code), reason)
        elif msg == "extensions":
            await ws.send(ws.response.headers.get("Sec-WebSocket-Extensions", ""))
        elif msg == "last-close":
            if me > 0:
                await finished[me - 1].wait()
            await ws.send(closes[me - 1] if me > 0 else "none")
        else:
            await ws.send(msg)


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--deflate", default="default")
    p.add_argument("--tls", nargs=2)
    a = p.parse_args()
    kw = {}
    if a.deflate == "none":
        kw["compression"] = None
    elif a.deflate == "strict":
        kw["compression"] = None
        kw["extensions"] = [
            ServerPerMessageDeflateFactory(
                server_no_context_takeover=True,
                client_no_context_takeover=True,
                server_max_window_bits=10,
                client_max_window_bits=9,
                require_client_max_window_bits=False,
            )
        ]
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
        kw["ssl"] = ctx
    async with serve(
        handler,
        "127.0.0.1",
        0,
        select_subprotocol=select_subprotocol,
        process_request=process_request,
        max_size=2**24,
        **kw,
    ) as server:
        print("PORT", server.sockets[0].getsockname()[1], flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)


asyncio.run(main())
