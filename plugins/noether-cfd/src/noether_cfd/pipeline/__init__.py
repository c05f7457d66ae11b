"""Point-cloud pipeline steps: surface/volume sampling, supernodes with a neighbour graph, ragged batching.

Every random draw is a function of ``(seed, epoch, sample index)`` only, so batches do not depend on the
number of DataLoader workers and a resumed run sees exactly the batches of an uninterrupted one.
"""
