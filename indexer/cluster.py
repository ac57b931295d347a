"""Embedding on a Dask cluster: each worker loads the model once and embeds whole batches.

`--cluster local:N` starts a `distributed.LocalCluster` of N single-threaded worker processes on this
machine (what CI tests); `--cluster tcp://HOST:8786` connects to the scheduler of a running cluster,
whose workers must have quarry and the same model installed (the model id each batch reports is
checked against the index's). Reading, sections and chunking stay on the driver: they are a small part
of a build (indexer/summary's read and chunk seconds) and would ship every document's bytes.

Failure: a batch whose worker dies is rescheduled on another worker by the scheduler (up to its
`allowed-failures`, 3 by default); a batch that raises is retried `RETRIES` times. Anything beyond that,
or a cluster left without workers for `NO_WORKERS_GRACE` seconds, stops the build with one line; the
finished batches are already on disk (indexer.pending), so the next run resumes from them.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from indexer.batches import EmbeddedBatch, TextBatch
from quarry.embedders import Embedder, OnnxEmbedder, SentenceTransformerEmbedder, load_embedder
from quarry.errors import QuarryError
from quarry.settings import Settings

log = logging.getLogger(__name__)

RETRIES = 2  # a batch that raised (not one whose worker died: the scheduler reschedules those itself)
NO_WORKERS_GRACE = 120.0  # seconds a cluster may have no worker at all before the build gives up
CONNECT_TIMEOUT = "20s"
POLL = 5.0  # seconds between checks that the cluster still has workers while no batch finishes


def local_workers(spec: str) -> int | None:
    """N for "local:N", the core count for "local", None for a scheduler address."""
    if spec == "local":
        return os.cpu_count() or 1
    if spec.startswith("local:"):
        return int(spec.split(":", 1)[1])
    return None


@dataclass(frozen=True)
class ModelSpec:
    """What a worker loads: the `model` setting, resolved on the worker (its own device and paths)."""

    model: str
    device: str
    batch_size: int
    runtime: str = "auto"  # each worker measures its own CPU (machines differ)
    cache: str = ""  # the model cache folder as the worker sees it ("" = its default)

    @property
    def key(self) -> str:
        return f"{self.model}|{self.device}|{self.batch_size}|{self.runtime}"

    def load(self) -> Embedder:
        if self.cache:
            return load_embedder(self.model, self.device, self.batch_size, self.runtime, self.cache, passages=True)
        return load_embedder(self.model, self.device, self.batch_size, self.runtime, passages=True)


@dataclass(frozen=True)
class Shipped:
    """An embedder object the caller passed to build_index, pickled to each worker (tests, custom models)."""

    embedder: Any
    key: str

    def load(self) -> Embedder:
        return self.embedder


_MODELS: dict[str, Embedder] = {}  # on a worker: the loaded model of each spec, so it is loaded once per process
_LOADING = threading.Lock()


def embed_on_worker(spec: ModelSpec | Shipped, texts: list[str]) -> tuple[np.ndarray, str, str, float, str]:
    """Runs on a worker: (vectors, model id, worker address, seconds spent embedding, the model's arithmetic)."""
    with _LOADING:
        model = _MODELS.get(spec.key)
        if model is None:
            model = _MODELS[spec.key] = spec.load()
    start = time.perf_counter()
    vectors = np.asarray(model.embed(texts), dtype=np.float32)
    seconds = time.perf_counter() - start
    try:
        from distributed import get_worker

        where = get_worker().address
    except ValueError:  # not on a worker (a direct call)
        where = f"pid {os.getpid()}"
    return vectors, model.model_id, where, seconds, getattr(model, "precision", "")


class DaskEmbedding:
    """The embedding engine on a Dask cluster (indexer.embedding.Engine)."""

    def __init__(self, settings: Settings, model_id: str, embedder: Embedder | None = None) -> None:
        try:
            import distributed
        except ImportError:
            raise QuarryError("--cluster needs Dask: pip install 'quarry[cluster]' (dask[distributed])") from None
        self.spec = settings.cluster
        self.model_id = model_id
        # A real model is loaded by each worker from the same setting (pickling torch weights into every task
        # would ship ~90 MB a batch); any other embedder object (tests, custom ones) is pickled to the workers.
        real = embedder is None or isinstance(embedder, (SentenceTransformerEmbedder, OnnxEmbedder))
        self.model = (ModelSpec(settings.model, settings.device, settings.batch_size, settings.runtime, settings.model_cache) if real
                      else Shipped(embedder, f"shipped-{uuid.uuid4().hex}"))
        self.name = f"dask {self.spec}"
        self.cluster = None
        n = local_workers(self.spec)
        try:
            if n is not None:
                self.cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                                        dashboard_address="127.0.0.1:0",  # no fixed port to collide on
                                                        silence_logs=logging.CRITICAL)
                self.client = distributed.Client(self.cluster)
            else:
                self.client = distributed.Client(self.spec, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as e:
            self.close()
            raise QuarryError(f"cannot reach the Dask scheduler at {self.spec} ({e})") from None

    def embed(self, batches: list[TextBatch]) -> Iterator[EmbeddedBatch]:
        """Submit every batch, yield each as it finishes (any order); one line and no partial result on failure."""
        from distributed import wait
        from distributed.scheduler import KilledWorker

        run = uuid.uuid4().hex[:8]
        futures = {self.client.submit(embed_on_worker, self.model, b.texts, key=f"quarry-embed-{run}-{i}",
                                      pure=False, retries=RETRIES): b for i, b in enumerate(batches)}
        waiting = set(futures)
        idle_since = time.monotonic()
        try:
            while waiting:
                try:
                    done, waiting = wait(waiting, timeout=POLL, return_when="FIRST_COMPLETED")
                except TimeoutError:
                    done = set()
                for future in done:
                    try:
                        vectors, model_id, worker, seconds, precision = future.result()
                    except KilledWorker:
                        raise QuarryError(f"a batch killed every worker that ran it on {self.spec}; stopped "
                                          "(finished batches are kept for the next run)") from None
                    except QuarryError:
                        raise
                    except Exception as e:  # the worker's own error, after RETRIES
                        raise QuarryError(f"embedding failed on {self.spec}: {type(e).__name__}: {e}") from None
                    future.release()
                    yield EmbeddedBatch(futures[future].hashes, vectors, model_id, worker, seconds, precision)
                if done:
                    idle_since = time.monotonic()
                elif not self.client.nthreads() and time.monotonic() - idle_since > NO_WORKERS_GRACE:
                    raise QuarryError(f"the cluster at {self.spec} has had no workers for {NO_WORKERS_GRACE:.0f}s; stopped "
                                      "(finished batches are kept for the next run)")
        finally:
            if waiting:
                self.client.cancel(list(waiting))

    def close(self) -> None:
        """Disconnect, and stop a local cluster. Stopping one whose workers were killed can fail inside
        distributed (a nanny still restarting a worker: "can only join a started process"); that must not
        replace the one line that says why the build stopped, so it is logged, not raised."""
        client, cluster = getattr(self, "client", None), self.cluster
        for part in (client, cluster):
            if part is None:
                continue
            try:
                part.close()
            except Exception as e:  # noqa: BLE001 - shutting down after a failure; the build's own error matters
                log.warning("closing the Dask %s failed: %s: %s", type(part).__name__, type(e).__name__, e)
