# SPDX-License-Identifier: BSD-3-Clause
"""Code shared by the traffic labs in test/lab/ (doh/ and smtp/). Stdlib only.

  netns.py    namespaces, veth links, the impairment TUN, processes, the recorded state and its clean-up,
              the run guard (SIGTERM, Ctrl-C, failures); leftover-namespace check
  results.py  what every run copies to its output directory, tool versions for run.json
  pcap.py     classic pcap reader (Ethernet, Linux cooked v1 and v2), TCP option layout
  hosts.py    the plans' TCP/IP host-profile pool and log-normal draws
  cli.py      the `lab.py plan|run|cleanup` command line

A lab puts test/lab/ on sys.path (its scripts do it themselves) and imports `common.<module>`."""
