"""kombu's filesystem transport (the embedded broker) with messages written atomically.

kombu 5.7's ``_put`` creates the message file, then locks and writes it; a worker
polling the folder can move the file away in between and read it empty. The worker
then stops with "Unrecoverable error: JSONDecodeError" and the message is lost (seen
in the test suite, and possible in ``make run`` whenever the web process publishes
while the worker polls). Here a message is written under a name consumers ignore and
renamed into place, which is atomic on one filesystem: a consumer sees all of it or
nothing. Selected by ``CELERY_BROKER_TRANSPORT`` for ``filesystem://`` URLs only.

A channel creates the folders its transport options name when it opens, so the
settings create nothing when imported.
"""

import os
import uuid
from pathlib import Path
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

# The folders a channel needs; only those named in the options are made (kombu's
# defaults are relative paths, which would land in the current directory).
FOLDER_OPTIONS = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")


class Channel(filesystem.Channel):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for option in FOLDER_OPTIONS:
            if folder := self.transport_options.get(option):
                Path(folder).mkdir(parents=True, exist_ok=True)

    def _put(self, queue, payload, **kwargs) -> None:
        # The name kombu gives; consumers take files named "<...>.<queue>.msg" only.
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        path = os.path.join(self.data_folder_out, name)
        partial = f"{path}.part"
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, path)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {path!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
