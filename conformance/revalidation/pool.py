"""Re-validation on this machine: a pool of worker processes, at most one run at a time per supplier origin.

Each run is a fresh process (a conformance run is a whole pytest session, which wants a clean interpreter),
forked from a server that imported the harness once, as a Celery worker forks each run from its main process:
spawning an interpreter and importing everything again cost 3.7-7 s of every run. The pool never starts a
product whose origin (scheme, host and port) already has a run in flight, however many workers are idle: the
marketplace must never load a supplier's service.
"""

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from conformance.marketplace.register.products import Product
from conformance.marketplace.register.publishing import Marketplace
from conformance.revalidation.job import Revalidated, RunPolicy, revalidate_product


def one_per_origin(products: list[Product], workers: int, start: Callable[[Product], Future]) -> Iterator[Future]:
    """Start products in order, as workers and origins free up; yield each finished future."""
    waiting = list(products)
    running: dict[Future, str] = {}
    while waiting or running:
        busy = set(running.values())
        for product in list(waiting):
            if len(running) >= workers:
                break
            if product.origin not in busy:
                waiting.remove(product)
                running[start(product)] = product.origin
                busy.add(product.origin)
        done, _ = wait(list(running), return_when=FIRST_COMPLETED)
        for future in done:
            del running[future]
            yield future


def revalidate_here(
    database: str, marketplace: Marketplace, products: list[Product], at: str, policy: RunPolicy, workers: int
) -> Iterator[tuple[Product, Revalidated | BaseException]]:
    """Run every product in a pool of `workers` processes; yield each product with its result or its error."""
    context = multiprocessing.get_context("forkserver")
    # What each child imports: the task's module, and the command line that it imports again as __mp_main__.
    context.set_forkserver_preload(["conformance.revalidation.job", "conformance.cli.main"])
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, max_tasks_per_child=1) as pool:
        started: dict[Future, Product] = {}

        def start(product: Product) -> Future:
            future = pool.submit(revalidate_product, database, marketplace, product.key, at, policy)
            started[future] = product
            return future

        for future in one_per_origin(products, workers, start):
            error = future.exception()
            yield started[future], error if error is not None else future.result()
