print("servebench: online path latency (TODO)")
