"""The ``--top`` live view: ``rates`` turns two TCP_INFO snapshots into per-connection and
per-process byte rates (pure), ``screen`` lays a frame out and draws it with curses, ``top``
is the loop (reads, keys, refreshes). curses is imported here and nowhere else, and only when
``--top`` is given."""
