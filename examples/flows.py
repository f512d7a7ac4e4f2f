"""Example Pyoco flows for `pyoco worker --flow-resolver examples/flows.py:resolve_flow`.

Self-contained: only `pyoco` is imported. A task receives run params by argument name and the
results of upstream tasks by the upstream task's name. The YAML example (`flow.yaml`) uses the same
functions as `flows:<name>` callables, so `examples/` must be on PYTHONPATH for YAML runs.
"""
import pyoco


def fetch_numbers(count=5):
    """Pretend to load data: the numbers 1..count."""
    return list(range(1, int(count) + 1))


def total(fetch_numbers):
    return sum(fetch_numbers)


def report(total):
    return f"sum={total}"


def hello(name="world"):
    print(f"hello, {name}")   # task prints go to the worker's stderr
    return f"hello, {name}"


def _chain(name, *funcs):
    """A flow running `funcs` one after another (a >> b >> c)."""
    flow = pyoco.Flow(name=name)
    wrappers = [pyoco.task(f) for f in funcs]
    for upstream, downstream in zip(wrappers, wrappers[1:]):
        upstream >> downstream
    for w in wrappers:
        flow.add_task(w.task)
    return flow


_FLOWS = {
    "numbers": (fetch_numbers, total, report),
    "hello": (hello,),
}


def resolve_flow(name):
    """Return a fresh Flow for `name`; KeyError means "no such flow" (the run fails flow_not_found)."""
    try:
        funcs = _FLOWS[name]
    except KeyError:
        raise KeyError(name) from None
    return _chain(name, *funcs)
