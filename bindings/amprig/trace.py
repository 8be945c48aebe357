"""Traces: signals sampled at a fixed period, as numpy arrays, and optionally as VCD."""
import difflib


def _unknown(name, names, where=""):
    close = difflib.get_close_matches(name, list(names), n=3, cutoff=0.6)
    text = f"no signal named '{name}'" + (f" {where}" if where else "")
    return text + (f" (did you mean {', '.join(close)}?)" if close else "")



class Trace:
    """Signals sampled at a fixed period from the moment the trace started. ``trace.time_s`` and
    ``trace[name]`` are numpy arrays (float for numbers, bool for booleans, str for choices)."""

    def __init__(self, rig, trace_id, names, period_s, vcd):
        self._rig, self._id = rig, trace_id
        self.names, self.period_s, self.vcd = list(names), period_s, vcd
        self._cache = None
        self._cache_time = None

    def _data(self):
        now = self._rig.time_s
        if self._cache is None or self._cache_time != now:
            self._cache = self._rig._process.trace(self._id)
            self._cache_time = now
        return self._cache

    @property
    def time_s(self):
        return self._data()["time_s"]

    def __getitem__(self, name):
        values = self._data()["values"]
        if name not in values:
            raise KeyError(_unknown(name, values.keys(), "in this trace"))
        return values[name]

    def arrays(self):
        """(time_s, {name: values})"""
        data = self._data()
        return data["time_s"], dict(data["values"])

    def stop(self):
        self._rig._process.stop_trace(self._id)
