"""Everything that reads the kernel, each module returning model objects and formatting nothing:

* ``procfs``: ``ProcFS(root)``, race-tolerant reads and their errors; ``proc_inet`` and
  ``proc_unix``: the /proc/net socket tables (tcp, udp, udplite, raw and their IPv6 forms; unix);
* ``sockdiag``: NETLINK_SOCK_DIAG dumps into the same model (``readahead`` keeps the next
  datagrams coming on a thread while the caller decodes);
* ``sockets``: which of the two a socket table comes from (``--source``);
* ``processes``: socket inode -> owning processes, from one walk of /proc/PID/fd;
* ``snmp``, ``routing``, ``netdev``, ``igmp``: the statistics, routes, interfaces and groups;
* ``netns``: every network namespace once, and entering one; ``containers``: which container
  a process runs in, from its cgroup.
"""
