"""How long a run is, in updates, without training (for ``noether schedule`` and checks)."""

from __future__ import annotations

from noether.core.schemas import ConfigSchema


def run_length(config: ConfigSchema) -> tuple[int, int]:
    """``(total_updates, updates_per_epoch)`` of a config; builds the training dataset to learn its length."""
    from noether.core.time import UpdateCounter, updates_per_epoch
    from noether.data.dataset import build_dataset

    key = config.train_dataset_key
    dataset = build_dataset(config.datasets[key], statistics=config.dataset_statistics,
                            normalizers=config.dataset_normalizer, name=key, seed=config.seed)
    trainer = config.trainer
    upe = max(1, updates_per_epoch(len(dataset), trainer.effective_batch_size))
    counter = UpdateCounter.from_limits(
        updates_per_epoch=upe,
        effective_batch_size=trainer.effective_batch_size,
        max_epochs=trainer.max_epochs,
        max_updates=trainer.max_updates,
        max_samples=trainer.max_samples,
    )
    return counter.end_update, upe
