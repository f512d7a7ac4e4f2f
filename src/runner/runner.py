"""pyoco runner: executes Pyoco flows for the pyoco worker over protocol v1 (JSON lines).

Spec: pyoco-runner.md §5. Standard library plus `pyoco` only; Python >= 3.10.
Usage: runner.py --protocol 1 [--resolver REF] [--warmup] [--setsid] [--allow-module PREFIX ...]

stdin/stdout carry the protocol (after the fd shuffle in `_claim_protocol_fds`); everything a task
prints, including its child processes, ends up on stderr. The worker does not parse stderr, except
for one thing: lines written through Python's `sys.stdout`/`sys.stderr` start with LINE_MARK, so
the worker can tell child-process output (unmarked, which Pyoco cannot capture) from what Pyoco
already captured and tees there, and send only the former to the task logs.
"""
import io
import os
import sys
import threading
import time

_T0 = time.perf_counter()

LINE_MARK = "\x1e"  # ASCII record separator: never the first character of ordinary output


class _MarkedLines(io.TextIOBase):
    """A text stream that starts every line it writes with LINE_MARK (sys.stdout and sys.stderr)."""

    def __init__(self, raw):
        super().__init__()
        self._raw = raw
        self._at_line_start = True
        self._lock = threading.Lock()  # tasks of a DAG print from several threads

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        if not s:
            return 0
        pieces = s.split("\n")
        with self._lock:
            out = []
            for i, piece in enumerate(pieces):
                last = i == len(pieces) - 1
                if piece or not last:
                    if self._at_line_start:
                        out.append(LINE_MARK)
                    out.append(piece if last else piece + "\n")
                    self._at_line_start = not last
            self._raw.write("".join(out))
        return len(s)

    def flush(self):
        self._raw.flush()

    def fileno(self):
        return self._raw.fileno()  # writes through the fd itself are unmarked, like a child's

    def isatty(self):
        return False

    def writable(self):
        return True

    @property
    def encoding(self):
        return self._raw.encoding

    @property
    def errors(self):
        return self._raw.errors

    @property
    def buffer(self):
        return self._raw.buffer

    def __getattr__(self, name):  # reconfigure(), line_buffering, name, mode …: the real stream's
        return getattr(self._raw, name)

RUNNER_VERSION = "1.0.0"
PROTOCOL = 1
MAX_LINE_BYTES = 1 << 20  # §5.1: one line is at most 1 MiB including the newline
DEFAULT_MAX_OUTPUT_BYTES = 256 * 1024
DEFAULT_MAX_LOG_BYTES = 256 * 1024
MAX_TRACEBACK_CHARS = 64 * 1024
MAX_RAW_ECHO = 512


def _claim_protocol_fds():
    """§5.1 fd hygiene, before any user code is imported."""
    sys.stdout.flush()
    out_fd = os.dup(1)            # protocol output (os.dup is non-inheritable: children never see it)
    os.dup2(2, 1)                 # print() and child processes now write to stderr
    in_fd = os.dup(0)             # protocol input
    null_fd = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null_fd, 0)
    os.close(null_fd)
    sys.stdout = _MarkedLines(open(1, "w", encoding="utf-8", errors="backslashreplace", buffering=1, closefd=False))
    sys.stderr = _MarkedLines(sys.stderr)
    sys.stdin = open(0, "r", encoding="utf-8", closefd=False)
    return os.fdopen(out_fd, "wb", buffering=0), os.fdopen(in_fd, "rb")


_PROTO_OUT, _PROTO_IN = _claim_protocol_fds()

import contextvars  # noqa: E402
import enum  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import queue  # noqa: E402
import signal  # noqa: E402
import traceback  # noqa: E402


# ---------------------------------------------------------------- output

def _sanitize(value, depth=0):
    """Make a value strict-JSON safe: no NaN/Infinity (Bun's JSON.parse rejects them), repr for the rest."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if depth > 64:
        return _safe_repr(value)
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(k): _sanitize(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_sanitize(v, depth + 1) for v in value]
    if isinstance(value, enum.Enum):
        return _sanitize(value.value, depth + 1)
    return _safe_repr(value)


def _safe_repr(value):
    try:
        return repr(value)
    except Exception as exc:  # a broken __repr__ must not kill the protocol
        return f"<unrepresentable {type(value).__name__}: {exc!r}>"


def _clip(text, limit):
    if text is None or len(text) <= limit:
        return text, False
    return text[:limit], True


# Built once: json.dumps with arguments makes a new encoder on every call (~3 µs of a protocol line).
_ENCODER = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(",", ":"))


def _encode(msg):
    return _ENCODER.encode(msg).encode("ascii") + b"\n"


class Writer:
    """Thread-safe protocol writer: trace callbacks arrive from pool threads."""

    def __init__(self, stream):
        self._stream = stream
        self._lock = threading.Lock()

    def emit(self, type_, **fields):
        msg = {"v": PROTOCOL, "type": type_, "ts": time.time()}
        msg.update(fields)
        try:
            line = _encode(msg)
        except (TypeError, ValueError):
            line = _encode(_sanitize(msg))
        if len(line) > MAX_LINE_BYTES:
            line = _shrink(msg, len(line))
        with self._lock:
            view = memoryview(line)
            while view:
                n = self._stream.write(view)
                view = view[n:]


def _shrink(msg, size):
    """Last-resort cap for a line that is still over 1 MiB after per-field limits."""
    msg = dict(msg)
    msg["truncated"] = True
    if msg.get("type") == "run_finished":
        records = {}
        for name, rec in (msg.get("task_records") or {}).items():
            rec = dict(rec)
            for key in ("output", "inputs"):
                if rec.get(key) is not None:
                    rec[key] = None
                    rec[key + "_truncated"] = True
            records[name] = rec
        msg["task_records"] = records
        line = _encode(_sanitize(msg))
        if len(line) <= MAX_LINE_BYTES:
            return line
        msg["task_records"] = {}
        msg["params"] = {}
    if msg.get("type") == "log":
        msg["text"] = msg.get("text", "")[: MAX_LINE_BYTES // 8]
    line = _encode(_sanitize(msg))
    if len(line) <= MAX_LINE_BYTES:
        return line
    return _encode({"v": PROTOCOL, "type": msg.get("type"), "ts": msg.get("ts"), "run_id": msg.get("run_id"),
                    "truncated": True, **({"status": msg.get("status"), "error": None, "tasks": {},
                                            "task_records": {}, "params": {}, "start_time": None,
                                            "end_time": None} if msg.get("type") == "run_finished" else {})})


W = Writer(_PROTO_OUT)


def _fatal(code, message, tb=None):
    W.emit("fatal", error={"code": code, "message": message, "traceback": tb})
    sys.stderr.flush()
    os._exit(3)


# ---------------------------------------------------------------- arguments

def _parse_args(argv):
    # Hand-rolled: argparse costs start-up time for four flags.
    opts = {"protocol": None, "resolver": None, "warmup": False, "setsid": False, "allow_module": []}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--allow-module" and i + 1 < len(argv):
            opts["allow_module"].append(argv[i + 1])
            i += 2
            continue
        if arg in ("--protocol", "--resolver") and i + 1 < len(argv):
            opts[arg[2:]] = argv[i + 1]
            i += 2
            continue
        if arg.startswith("--protocol=") or arg.startswith("--resolver="):
            key, _, val = arg[2:].partition("=")
            opts[key] = val
        elif arg == "--warmup":
            opts["warmup"] = True
        elif arg == "--setsid":
            opts["setsid"] = True
        else:
            _fatal("invalid_arguments", f"unknown argument: {arg}")
        i += 1
    return opts


# ---------------------------------------------------------------- resolving flows

class ResolveError(Exception):
    def __init__(self, code, message, exc=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.exc_type = type(exc).__name__ if exc is not None else None
        self.tb = _format_tb(exc) if exc is not None else None


def _format_tb(exc):
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return _clip(text, MAX_TRACEBACK_CHARS)[0]


def _follow_attr(obj, dotted):
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def load_ref(ref, module_name="_pyoco_user_ref"):
    """`module:attr` or `path/to/file.py:attr`, split at the LAST colon; dotted attrs allowed."""
    left, sep, attr = ref.rpartition(":")
    if not sep or not left or not attr:
        raise ValueError(f"invalid reference {ref!r}: expected module:attr or path/to/file.py:attr")
    if left.endswith(".py") or "/" in left:
        import importlib.util
        path = os.path.abspath(left)
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load resolver file {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    else:
        import importlib
        module = importlib.import_module(left)
    return _follow_attr(module, attr)


def _resolve_ref(resolver, flow_name):
    if resolver is None:
        raise ResolveError("flow_not_found", f"flow_not_found: {flow_name!r} (no flow resolver configured)")
    try:
        flow = resolver(flow_name)
    except KeyError as exc:
        raise ResolveError("flow_not_found", f"flow_not_found: {flow_name!r}", exc)
    except Exception as exc:
        raise ResolveError("resolver_error", f"{type(exc).__name__}: {exc}", exc)
    if flow is None or not hasattr(flow, "tasks"):
        raise ResolveError("resolver_error", f"resolver returned {type(flow).__name__}, not a pyoco Flow")
    return flow


def _module_allowed(mod_name, allowed):
    """None = no allow-list. Else the module must equal a prefix or lie below one (`pkg` allows `pkg.x`, not `pkgx`)."""
    if allowed is None:
        return True
    return any(mod_name == p or mod_name.startswith(p + ".") for p in allowed)


def _not_allowed_message(what, mod_name, allowed):
    return (f"{what}: module {mod_name!r} is not in the worker's allow-list {sorted(allowed)!r} "
            f"(pyoco worker --allow-module / PYOCO_WORKER_ALLOWED_MODULES)")


def _import_callable(name, ref, models, syntax, allowed=None):
    if not isinstance(ref, str) or ref.count(":") != 1:
        raise ResolveError("invalid_callable_ref", f"task {name!r}: callable must be 'module:function', got {ref!r}")
    mod_name, _, attr = ref.partition(":")
    if not mod_name or not attr:
        raise ResolveError("invalid_callable_ref", f"task {name!r}: callable must be 'module:function', got {ref!r}")
    if not _module_allowed(mod_name, allowed):
        # Checked before importing: an import alone runs the module's code.
        raise ResolveError("callable_not_allowed", _not_allowed_message(f"task {name!r}", mod_name, allowed))
    import importlib
    try:
        module = importlib.import_module(mod_name)
    except Exception as exc:
        raise ResolveError("callable_import_error", f"{type(exc).__name__}: {exc}", exc)
    try:
        obj = _follow_attr(module, attr)
    except AttributeError as exc:
        raise ResolveError("callable_not_found", f"task {name!r}: {mod_name} has no attribute {attr!r}", exc)
    if isinstance(obj, syntax.TaskWrapper):
        obj = obj.task.func
    elif isinstance(obj, models.Task):
        obj = obj.func
    if not callable(obj):
        raise ResolveError("callable_not_found", f"task {name!r}: {ref} is not callable")
    return obj


def _check_graph(source):
    """With an allow-list the graph is held to the DSL of pyoco-runner.md §2.3, so it cannot reach
    Python through attributes (`().__class__…`), comprehensions or lambdas: task names, `>>`, `&`,
    `|`, `%`, subscripts, tuples/lists, constants and calls of scope names (`switch(...)`)."""
    import ast
    try:
        tree = ast.parse(source, "<flow.graph>", "exec")
    except SyntaxError as exc:
        raise ResolveError("graph_invalid", f"SyntaxError: {exc}", exc)
    ops = (ast.RShift, ast.BitAnd, ast.BitOr, ast.Mod)
    plain = (ast.Module, ast.Expr, ast.BinOp, ast.Name, ast.Load, ast.Subscript, ast.Tuple, ast.List, ast.keyword) + ops
    for node in ast.walk(tree):
        ok = isinstance(node, plain) and (not isinstance(node, ast.BinOp) or isinstance(node.op, ops))
        if isinstance(node, ast.Name):
            ok = not node.id.startswith("_")
        elif isinstance(node, ast.Constant):
            ok = isinstance(node.value, (str, int)) and not isinstance(node.value, bool)
        elif isinstance(node, ast.Call):
            ok = isinstance(node.func, ast.Name)
        elif sys.version_info < (3, 9) and type(node).__name__ == "Index":
            ok = True
        if not ok:
            where = f" at line {getattr(node, 'lineno', '?')}" if hasattr(node, "lineno") else ""
            raise ResolveError("graph_not_allowed",
                               f"graph_not_allowed: {type(node).__name__}{where} is not part of the graph DSL "
                               f"(task names, >>, &, |, %, [..], (..), constants, switch(...)); the worker has a module allow-list")


def _build_workflow(flow_name, spec, models, syntax, allowed=None):
    """Build a Flow from the JSON workflow spec without PyocoConfig/TaskLoader (§0 finding 4)."""
    if not isinstance(spec, dict):
        raise ResolveError("workflow_invalid", "workflow spec must be an object")
    flow_cfg = spec.get("flow")
    if not isinstance(flow_cfg, dict) or not isinstance(flow_cfg.get("graph"), str) or not flow_cfg["graph"].strip():
        raise ResolveError("flow_not_found", f"flow_not_found: {flow_name!r}")
    defaults = flow_cfg.get("defaults") or {}
    tasks_cfg = spec.get("tasks") or {}
    if not isinstance(defaults, dict):
        raise ResolveError("workflow_invalid", "flow.defaults must be a mapping")
    if not isinstance(tasks_cfg, dict):
        raise ResolveError("workflow_invalid", "tasks must be a mapping")
    flow = models.Flow(name=flow_name)
    scope = {}
    for name, cfg in tasks_cfg.items():
        if not isinstance(cfg, dict):
            raise ResolveError("workflow_invalid", f"task {name!r} must be a mapping")
        inputs = cfg.get("inputs") or {}
        outputs = cfg.get("outputs") or []
        if not isinstance(inputs, dict) or not isinstance(outputs, list) or not all(isinstance(o, str) for o in outputs):
            raise ResolveError("workflow_invalid", f"task {name!r}: inputs must be a mapping and outputs a list of strings")
        func = _import_callable(name, cfg.get("callable"), models, syntax, allowed)
        task = models.Task(func=func, name=name)
        task.inputs = dict(inputs)
        task.outputs = list(outputs)
        flow.add_task(task)  # every declared task joins the flow, as in pyoco-server (§2.3)
        scope[name] = syntax.TaskWrapper(task)
    scope["switch"] = syntax.switch
    scope["flow"] = flow
    if allowed is not None:
        _check_graph(flow_cfg["graph"])
    try:
        # Not a sandbox (§8.2): flow.yaml is trusted input; this only blocks the trivial cases.
        exec(compile(flow_cfg["graph"], "<flow.graph>", "exec"), {"__builtins__": {}}, scope)
    except Exception as exc:
        raise ResolveError("graph_invalid", f"{type(exc).__name__}: {exc}", exc)
    return flow, dict(defaults)


# ---------------------------------------------------------------- task logs: Python logging capture
#
# Pyoco itself captures each task's stdout/stderr (sent as `log` messages when the task ends). This
# handler adds the run's `logging` records, sent at once as `log` messages with stream "log",
# level, logger and the task of the calling thread. Past `max_log_records` per run records are
# counted, not sent; the count goes out as a stream "system" message before `run_finished`.

class _LogCapture(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.NOTSET)
        self.run_id = None
        self.remaining = 0
        self.dropped = 0
        self.max_chars = DEFAULT_MAX_LOG_BYTES
        self.tasks = threading.local()
        self.root_level_set = None
        self.root_level_saved = None

    def begin(self, run_id, limits):
        max_records = int(limits.get("max_log_records") or 0)
        if max_records <= 0:
            return
        level = logging.getLevelName(str(limits.get("log_level") or "INFO").upper())
        if not isinstance(level, int):
            level = logging.INFO
        self.setLevel(level)
        root = logging.getLogger()
        if root.getEffectiveLevel() > level:  # only ever widen what the user's own config lets through
            self.root_level_saved = root.level
            self.root_level_set = level
            root.setLevel(level)
        self.remaining = max_records
        self.dropped = 0
        self.run_id = run_id

    def end(self, run_id):
        """Stop capturing; report what was dropped."""
        if self.run_id != run_id:
            return
        self.run_id = None
        root = logging.getLogger()
        if self.root_level_set is not None and root.level == self.root_level_set:
            root.setLevel(self.root_level_saved)
        self.root_level_set = self.root_level_saved = None
        if self.dropped:
            W.emit("log", run_id=run_id, task=None, stream="system", dropped=self.dropped,
                   text=f"{self.dropped} logging record(s) dropped by the runner (limit per run)")
            self.dropped = 0

    def set_task(self, name):
        self.tasks.name = name

    def emit(self, record):
        run_id = self.run_id
        if run_id is None or getattr(self.tasks, "busy", False):
            return
        if self.remaining <= 0:
            self.dropped += 1
            return
        self.remaining -= 1
        self.tasks.busy = True  # a handler that logs must not recurse
        try:
            try:
                text = record.getMessage()
            except Exception:
                text = str(record.msg)
            if record.exc_info:
                text += "\n" + "".join(traceback.format_exception(*record.exc_info))
            W.emit("log", run_id=run_id, task=getattr(self.tasks, "name", None), stream="log",
                   level=record.levelname, logger=record.name, text=_clip(text, self.max_chars)[0],
                   ts=record.created)
        except Exception:
            pass  # logging must never fail a task
        finally:
            self.tasks.busy = False


LOG_CAPTURE = _LogCapture()


# ---------------------------------------------------------------- running

def _state_str(value):
    return getattr(value, "value", value) if value is not None else None


class ActiveRun:
    def __init__(self, msg, run_ctx):
        self.msg = msg
        self.run_id = msg["run_id"]
        self.run_ctx = run_ctx
        self.engine = None
        self.cancel_requested = False


def _make_trace_class(backend_base):
    class ProtocolTrace(backend_base):
        """Turns engine callbacks into protocol events (callbacks come from pool threads)."""

        def __init__(self, run, max_log_bytes, reissue_cancel):
            self.run_id = run.run_id
            self.run_ctx = run.run_ctx
            self.run = run
            self.max_log_bytes = max_log_bytes
            self.reissue_cancel = reissue_cancel

        def on_flow_start(self, flow_name, run_id=None):
            pass

        def on_flow_end(self, flow_name):
            pass

        def on_node_start(self, node_name):
            if self.run.cancel_requested:
                self.reissue_cancel(self.run)
            W.emit("task_started", run_id=self.run_id, task=node_name)
            LOG_CAPTURE.set_task(node_name)

        def on_node_end(self, node_name, duration_ms):
            LOG_CAPTURE.set_task(None)
            self.flush_logs()
            W.emit("task_finished", run_id=self.run_id, task=node_name, state="SUCCEEDED",
                   duration_ms=_sanitize(duration_ms))

        def on_node_error(self, node_name, error):
            LOG_CAPTURE.set_task(None)
            self.flush_logs()
            rec = getattr(self.run_ctx, "task_records", {}).get(node_name)
            tb = getattr(rec, "traceback", None) or _format_tb(error)
            W.emit("task_finished", run_id=self.run_id, task=node_name, state="FAILED",
                   duration_ms=_sanitize(getattr(rec, "duration_ms", None)),
                   error={"type": type(error).__name__, "message": str(error),
                          "traceback": _clip(tb, MAX_TRACEBACK_CHARS)[0]})

        def on_node_transition(self, source, target):
            pass

        def flush_logs(self):
            drain = getattr(self.run_ctx, "drain_logs", None)
            if drain is None:
                return
            for entry in drain() or []:
                text = str(entry.get("text", ""))
                clipped, truncated = _clip(text, self.max_log_bytes)
                fields = {"run_id": self.run_id, "task": str(entry.get("task")),
                          "stream": "stderr" if entry.get("stream") == "stderr" else "stdout", "text": clipped}
                if truncated:
                    fields["truncated"] = True
                W.emit("log", **fields)

    return ProtocolTrace


class Runner:
    def __init__(self, pyoco_mods, resolver, allowed=None):
        self.pyoco, self.models, self.syntax, self.engine_mod, self.backend_mod = pyoco_mods
        self.resolver = resolver
        self.allowed = allowed
        self.Trace = _make_trace_class(self.backend_mod.TraceBackend)
        self.lock = threading.Lock()
        self.active = None
        # One long-lived run thread: starting a thread per run cost ~60 µs of a ~900 µs trivial run.
        self._runs = queue.SimpleQueue()
        self._thread = None

    # -- main-thread handlers

    def on_start(self, msg):
        run_id = msg.get("run_id")
        if not isinstance(run_id, str) or not run_id:
            W.emit("protocol_error", error={"code": "invalid_message", "message": "start needs a run_id"},
                   raw=_safe_repr(msg)[:MAX_RAW_ECHO])
            return
        with self.lock:
            if self.active is not None:
                W.emit("rejected", run_id=run_id, reason="busy")
                return
            run_ctx = self.models.RunContext(run_id=run_id)
            run = ActiveRun(msg, run_ctx)
            self.active = run
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="pyoco-run", daemon=True)
            self._thread.start()
        self._runs.put(run)

    def on_cancel(self, msg):
        run_id = msg.get("run_id")
        with self.lock:
            run = self.active
            if run is None or run.run_id != run_id:
                W.emit("cancel_ack", run_id=run_id, state="unknown_run")
                return
            run.cancel_requested = True
            engine = run.engine
            if engine is not None and run_id in getattr(engine, "active_runs", {}):
                engine.cancel(run_id)
            elif run.run_ctx.status == self.models.RunStatus.RUNNING:
                # Not registered yet (§2.8): the runner owns this RunContext, so set it directly.
                run.run_ctx.status = self.models.RunStatus.CANCELLING
            W.emit("cancel_ack", run_id=run_id, state="CANCELLING")

    def reissue_cancel(self, run):
        """A cancel that raced Engine.run's registration (an engine may reset the status): apply it again."""
        with self.lock:
            engine = run.engine
            if engine is not None and run.run_id in getattr(engine, "active_runs", {}):
                engine.cancel(run.run_id)

    def wait_idle(self):
        """Let the run in progress (if any) finish; no start may come after this."""
        if self._thread is not None:
            self._runs.put(None)
            self._thread.join()

    # -- run thread

    def _serve(self):
        while (run := self._runs.get()) is not None:
            # A fresh, empty context per run, as a new thread would have: nothing a run's code
            # sets in a ContextVar leaks into the next run.
            contextvars.Context().run(self._execute, run)

    def _execute(self, run):
        msg = run.msg
        run_ctx = run.run_ctx
        RunStatus = self.models.RunStatus
        limits = msg.get("limits") if isinstance(msg.get("limits"), dict) else {}
        max_output = int(limits.get("max_output_bytes") or DEFAULT_MAX_OUTPUT_BYTES)
        max_log = int(limits.get("max_log_bytes") or DEFAULT_MAX_LOG_BYTES)
        LOG_CAPTURE.begin(run.run_id, limits)
        flow_name = msg.get("flow_name")
        params = msg.get("params") if isinstance(msg.get("params"), dict) else {}
        start_time = time.time()
        t0 = time.perf_counter()
        try:
            flow_name, flow, params = self._resolve(msg, flow_name, params)
        except ResolveError as err:
            self._finish(run, "FAILED", {"code": err.code, "phase": "resolve", "type": err.exc_type,
                                         "message": err.message, "traceback": err.tb},
                         {}, {}, params, start_time, time.time(), t0)
            return
        except BaseException as exc:  # defensive: a resolve bug must still end the run
            self._finish(run, "FAILED", {"code": "resolver_error", "phase": "resolve", "type": type(exc).__name__,
                                         "message": str(exc), "traceback": _format_tb(exc)},
                         {}, {}, params, start_time, time.time(), t0)
            return
        run_ctx.flow_name = flow_name
        run_ctx.params = params
        meta = msg.get("metadata")
        if isinstance(meta, dict):
            run_ctx.metadata = dict(meta)
        task_names = sorted(t.name for t in flow.tasks)
        W.emit("run_started", run_id=run.run_id, flow_name=flow_name, tasks=task_names, params=_sanitize(params))
        if run.cancel_requested:
            # Cancelled while resolving: do not hand the engine a run that is already CANCELLING.
            tasks = {name: "CANCELLED" for name in task_names}
            records = {name: {"state": "CANCELLED", "started_at": None, "ended_at": None, "duration_ms": None,
                              "error": None, "traceback": None, "inputs": {}, "output": None, "artifacts": {}}
                       for name in task_names}
            self._finish(run, "CANCELLED", None, tasks, records, params, start_time, time.time(), t0)
            return
        trace = self.Trace(run, max_log, self.reissue_cancel)
        engine = self.engine_mod.Engine(trace_backend=trace)
        with self.lock:
            run.engine = engine
        error = None
        try:
            engine.run(flow, params=params, run_context=run_ctx)
        except BaseException as exc:
            error = self._task_error(run_ctx, exc)
        trace.flush_logs()
        status = _state_str(run_ctx.status)
        if error is not None:
            status = "FAILED"
        elif status in ("CANCELLING", "CANCELLED"):
            status = "CANCELLED"  # §9: a cancel during the last task leaves CANCELLING
        elif status != "FAILED":
            status = "COMPLETED"
        tasks = {name: _state_str(state) for name, state in dict(run_ctx.tasks).items()}
        try:
            records = _sanitize(run_ctx.serialize_task_records())
        except Exception as exc:
            records = {"_error": f"serialize_task_records failed: {exc!r}"}
        if status == "CANCELLED":
            for name, state in tasks.items():
                if state not in ("SUCCEEDED", "FAILED"):
                    tasks[name] = "CANCELLED"
                    if isinstance(records.get(name), dict):
                        records[name]["state"] = "CANCELLED"
        for rec in records.values():
            if isinstance(rec, dict):
                _cap_record(rec, max_output)
        self._finish(run, status, error, tasks, records, params, run_ctx.start_time or start_time,
                     run_ctx.end_time or time.time(), t0)

    def _resolve(self, msg, flow_name, params):
        flow_src = msg.get("flow")
        if not isinstance(flow_name, str) or not flow_name or not isinstance(flow_src, dict):
            raise ResolveError("invalid_job", "start needs flow_name and flow")
        kind = flow_src.get("kind")
        if kind == "ref":
            return flow_name, _resolve_ref(self.resolver, flow_name), params
        if kind == "workflow":
            flow, defaults = _build_workflow(flow_name, flow_src.get("spec"), self.models, self.syntax, self.allowed)
            return flow_name, flow, {**defaults, **params}
        raise ResolveError("invalid_job", f"unsupported flow kind {kind!r}")

    def _task_error(self, run_ctx, exc):
        failed = [n for n, s in dict(run_ctx.tasks).items() if _state_str(s) == "FAILED"]
        tb = None
        if failed:
            rec = run_ctx.task_records.get(failed[0])
            tb = getattr(rec, "traceback", None)
        return {"code": "task_failed", "phase": "execute", "type": type(exc).__name__, "message": str(exc),
                "traceback": _clip(tb or _format_tb(exc), MAX_TRACEBACK_CHARS)[0],
                **({"task": failed[0]} if failed else {})}

    def _finish(self, run, status, error, tasks, records, params, start_time, end_time, t0):
        LOG_CAPTURE.end(run.run_id)
        with self.lock:
            self.active = None  # idle BEFORE run_finished (§4.1: else an immediate start is "busy")
        W.emit("run_finished", run_id=run.run_id, status=status, error=error, tasks=tasks, task_records=records,
               params=_sanitize(params), start_time=_sanitize(start_time), end_time=_sanitize(end_time),
               duration_ms=round((time.perf_counter() - t0) * 1000, 3))


def _cap_record(rec, max_output):
    out = rec.get("output")
    if out is not None and not isinstance(out, (bool, int, float)):
        text = json.dumps(out, ensure_ascii=True, allow_nan=False)
        if len(text) > max_output:
            rec["output"] = text[:max_output]
            rec["output_truncated"] = True
            rec["truncated"] = True
    for key in ("traceback", "error"):
        if isinstance(rec.get(key), str):
            rec[key], cut = _clip(rec[key], MAX_TRACEBACK_CHARS)
            if cut:
                rec["truncated"] = True


# ---------------------------------------------------------------- start-up

def _import_pyoco():
    try:
        import pyoco
        from pyoco.core import engine as engine_mod
        from pyoco.core import models
        from pyoco.dsl import syntax
        from pyoco.trace import backend as backend_mod
    except BaseException as exc:
        _fatal("pyoco_import_error", f"{type(exc).__name__}: {exc}", _format_tb(exc))
    return pyoco, models, syntax, engine_mod, backend_mod


def _pyoco_info(pyoco):
    if getattr(pyoco, "__pyoco_test_double__", False):
        # The double shadows any installed Pyoco, whose dist metadata would misreport it.
        return {"version": getattr(pyoco, "__version__", None), "impl": "double"}
    version = None
    try:
        from importlib.metadata import version as dist_version
        version = dist_version("pyoco")
    except Exception:
        version = getattr(pyoco, "__version__", None)
    return {"version": version, "impl": "real"}


def _warmup(runner):
    """Run a one-task no-op flow so lazy imports and the thread pool are paid before `ready` (§4.2)."""
    models, syntax = runner.models, runner.syntax

    def _warmup_noop():
        return None

    class Silent(runner.backend_mod.TraceBackend):
        def on_flow_start(self, flow_name, run_id=None): pass
        def on_flow_end(self, flow_name): pass
        def on_node_start(self, node_name): pass
        def on_node_end(self, node_name, duration_ms): pass
        def on_node_error(self, node_name, error): pass

    flow = models.Flow(name="_warmup")
    flow.add_task(models.Task(func=_warmup_noop, name="_warmup_noop"))
    rc = models.RunContext()
    runner.engine_mod.Engine(trace_backend=Silent()).run(flow, params={}, run_context=rc)
    rc.drain_logs() if hasattr(rc, "drain_logs") else None
    _encode(_sanitize(rc.serialize_task_records()))


def _read_loop(runner):
    """Serve protocol messages; returns "eof" (stdin closed) or "shutdown"."""
    while True:
        raw = _PROTO_IN.readline()
        if not raw:
            return "eof"
        if not raw.strip():
            continue
        try:
            msg = json.loads(raw)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than json can decode
            _protocol_error("invalid_message", f"not JSON: {type(exc).__name__}: {exc}", raw)
            continue
        if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
            _protocol_error("invalid_message", "expected an object with a string 'type'", raw)
            continue
        if msg.get("v") != PROTOCOL:
            _protocol_error("unsupported_version", f"unsupported protocol version {msg.get('v')!r}", raw)
            continue
        kind = msg["type"]
        if kind == "start":
            runner.on_start(msg)
        elif kind == "cancel":
            runner.on_cancel(msg)
        elif kind == "ping":
            W.emit("pong", nonce=msg.get("nonce"))
        elif kind == "shutdown":
            return "shutdown"
        else:
            _protocol_error("unknown_type", f"unknown message type {kind!r}", raw)


def _die_with_worker(why):
    """The worker is gone (kill -9, crash): end the run now, with every process it started.

    Finishing it would execute the run twice, because NATS redelivers the job to another worker.
    The runner leads its own process group (--setsid / detached spawn), so the group is exactly
    this run's processes; when it does not lead one, only the runner itself exits.
    """
    try:
        sys.stderr.write(f"pyoco runner: {why}; stopping the active run and its process group\n")
        sys.stderr.flush()
    except Exception:
        pass
    if os.getpgrp() == os.getpid():
        os.killpg(os.getpid(), signal.SIGKILL)
    os._exit(70)


def _watch_parent(runner, parent_pid):
    """Parent-death guard for the case where EOF never comes (the pipe held open elsewhere)."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent_pid:
            if runner.active is not None:
                _die_with_worker(f"worker process {parent_pid} died")
            os._exit(0)


def _protocol_error(code, message, raw):
    W.emit("protocol_error", error={"code": code, "message": message},
           raw=raw[:MAX_RAW_ECHO].decode("utf-8", "replace"))


def main():
    opts = _parse_args(sys.argv[1:])
    if sys.version_info < (3, 10):
        _fatal("python_too_old", f"Python >= 3.10 required, found {sys.version.split()[0]}")
    if opts["protocol"] != str(PROTOCOL):
        _fatal("unsupported_protocol", f"unsupported protocol {opts['protocol']!r}; this runner speaks {PROTOCOL}")
    if opts["setsid"]:
        try:
            os.setsid()
        except OSError:
            pass  # already a session leader (the worker spawned us detached)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent owns shutdown (Ctrl+C reaches the whole tty group)
    mods = _import_pyoco()
    allowed = tuple(opts["allow_module"]) or None
    resolver = None
    if opts["resolver"]:
        left = opts["resolver"].rpartition(":")[0]
        is_file = left.endswith(".py") or "/" in left
        # A file-form resolver names a file the operator chose; a module-form one must be allowed.
        if not is_file and left and not _module_allowed(left, allowed):
            _fatal("resolver_not_allowed", _not_allowed_message("flow resolver", left, allowed))
        try:
            resolver = load_ref(opts["resolver"], "_pyoco_flow_resolver")
            if not callable(resolver):
                raise TypeError(f"resolver {opts['resolver']!r} is not callable")
        except BaseException as exc:
            _fatal("resolver_import_error", f"{type(exc).__name__}: {exc}", _format_tb(exc))
    runner = Runner(mods, resolver, allowed)
    logging.getLogger().addHandler(LOG_CAPTURE)
    if opts["warmup"]:
        try:
            _warmup(runner)
        except Exception as exc:
            sys.stderr.write(f"pyoco runner: warm-up failed (continuing): {exc!r}\n")
    W.emit("ready", protocol=PROTOCOL, runner_version=RUNNER_VERSION, pid=os.getpid(),
           python="%d.%d.%d" % sys.version_info[:3], pyoco=_pyoco_info(mods[0]),
           capabilities=["ref", "workflow", "cancel", "logs"],
           startup_ms=round((time.perf_counter() - _T0) * 1000, 3))
    threading.Thread(target=_watch_parent, args=(runner, os.getppid()), name="parent-watch", daemon=True).start()
    # EOF while a run is active means the worker died: a polite stop is `shutdown`, or EOF when idle.
    if _read_loop(runner) == "eof" and runner.active is not None:
        _die_with_worker("stdin closed during a run (worker gone)")
    runner.wait_idle()
    W.emit("bye")
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(0)  # don't wait for stray non-daemon threads a task may have left behind


if __name__ == "__main__":
    main()
