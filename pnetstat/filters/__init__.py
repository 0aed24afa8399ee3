"""ss's filter language for every socket view: parse -> tree -> (a) a Python predicate that
every source's rows go through, (b) INET_DIAG bytecode that the kernel runs on a netlink dump.

* ``tree``: the parsed filter, a state set and an expression of typed nodes;
* ``parse``: words (argv, or a file's text) -> tree, with errors that point at a word;
* ``predicate``: tree -> a function of one socket row (and its owners);
* ``bytecode``: tree -> INET_DIAG_REQ_BYTECODE for what the kernel can decide.
"""
