"""The fleet view: pnetstat's tables as Prometheus metrics.

* ``metrics``: pure functions from the model to metric families, with bounded cardinality;
* ``collect``: one scrape: reads the kernel (every namespace with --all-netns) into families;
* ``exposition``: prometheus_client (the ``exporter`` extra): the HTTP exporter (``--serve``)
  and the textfile writer (``--textfile``), scrapes sharing one read.
"""
