"""Run one client call in a process of its own, with its disk writes capped, and report how it
ended and how much its peak memory grew; used by the hostile-server tests.

    python bounded_client.py BASE_URL check|detail|list OPTIONS_JSON FILE_SIZE_LIMIT_BYTES

Prints one JSON line: the error's class and message (or null), and the peak RSS growth in MiB.
A write past the file size limit fails with EFBIG (SIGXFSZ ignored), which is not a FlinttError.
"""

import json
import resource
import signal
import sys

from flintt_pipeline.lib.api import FlinttClient, FlinttError


def main() -> None:
    base_url, what, options, file_limit = sys.argv[1:]
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(file_limit), int(file_limit)))
    client = FlinttClient(base_url=base_url, api_key="flt_bounded_test_key", **json.loads(options))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    error: FlinttError | None = None
    try:
        with client:
            if what == "check":
                client.check()
            elif what == "detail":
                list(client.get_runs(["run_1"]))
            else:
                for _ in client.iter_runs():
                    pass
    except FlinttError as caught:
        error = caught
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "error": type(error).__name__ if error else None,
                "message": str(error) if error else None,
                "requests": client.stats.requests,
                "rss_growth_mib": (after - before) / 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
