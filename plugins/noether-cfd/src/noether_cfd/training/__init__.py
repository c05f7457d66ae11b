"""The CFD trainer: masked per-field losses on padded point-cloud batches, and the run record for prediction."""
