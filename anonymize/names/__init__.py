"""Name pools with readings, far larger than Faker's ja_JP 50 x 51, built once per process from the compact
text files beside this module (see `pool`)."""
