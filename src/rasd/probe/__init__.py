"""The probe agent: runs DNS, HTTP(S) and TCP checks from one vantage point and pushes results."""
