print("annbench: HNSW against exact search and hnswlib (TODO)")
