"""Local AWS stand-in for remotion-janitor's tests, demo and benchmarks.

Serves S3, Lambda, IAM and STS on one loopback endpoint with SigV4 checks,
IAM policy enforcement, scripted faults and injected latency.  See README.md.
"""
