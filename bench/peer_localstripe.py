"""localstripe, the stateful Python Stripe fake, as a peer: ``python -m bench.peer_localstripe``.

This is localstripe's own ``start()`` with two changes that leave its work per request as it is:
it listens on 127.0.0.1 only (its ``start()`` binds every interface), and the store it pickles
to disk after every change goes to BENCH_LOCALSTRIPE_STORE instead of the fixed
/tmp/localstripe.pickle, so that a run neither reads nor clobbers another's. It starts empty
(``--from-scratch``) and keeps its access log (to the bench's log file).
"""

from __future__ import annotations

import argparse
import logging
import os
import pickle
from typing import Any


def main() -> None:
    from aiohttp import web
    from localstripe import resources  # type: ignore[import-untyped]
    from localstripe.server import app  # type: ignore[import-untyped]

    parser = argparse.ArgumentParser(prog="python -m bench.peer_localstripe")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    path = os.environ["BENCH_LOCALSTRIPE_STORE"]

    def dump_to_disk(self: Any) -> None:
        with open(path, "wb") as f:
            pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)

    resources.Store.dump_to_disk = dump_to_disk
    logger = logging.getLogger("aiohttp.access")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(logging.StreamHandler())
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=logger, print=None)


if __name__ == "__main__":
    main()
