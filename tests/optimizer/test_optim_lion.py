"""Lion against its published update rule, computed by hand."""

from __future__ import annotations

import pytest
import torch

from noether.core.optimizer.lion import Lion


def param(*values: float) -> torch.nn.Parameter:
    return torch.nn.Parameter(torch.tensor(values, dtype=torch.float64))


def run(p: torch.nn.Parameter, grads: list[list[float]], **kwargs: object) -> Lion:
    opt = Lion([p], lr=0.1, betas=(0.9, 0.99), weight_decay=0.5, **kwargs)  # type: ignore[arg-type]
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
    return opt


@pytest.mark.parametrize("foreach", [False, True])
def test_two_steps_by_hand(foreach: bool) -> None:
    p = param(1.0, -2.0, 0.5)
    opt = run(p, [[0.3, -0.1, 0.0], [-0.2, -0.1, 0.4]], foreach=foreach)
    # step 1: p *= 1 - 0.1*0.5 -> [0.95, -1.9, 0.475]; u = sign(0.1 g) = [1, -1, 0] -> p = [0.85, -1.8, 0.475]
    #         m = 0.01 g = [0.003, -0.001, 0]
    # step 2: p *= 0.95 -> [0.8075, -1.71, 0.45125]; 0.9 m + 0.1 g = [-0.0173, -0.0109, 0.04]
    #         -> u = [-1, -1, 1]
    #         p = [0.9075, -1.61, 0.35125]; m = 0.99 m + 0.01 g = [0.00097, -0.00199, 0.004]
    assert p.detach().tolist() == pytest.approx([0.9075, -1.61, 0.35125], abs=1e-12)
    assert opt.state[p]["exp_avg"].tolist() == pytest.approx([0.00097, -0.00199, 0.004], abs=1e-12)


@pytest.mark.parametrize("foreach", [False, True])
def test_caution_mask(foreach: bool) -> None:
    p = param(1.0, -2.0, 0.5)
    run(p, [[0.3, -0.1, 0.0]], caution=True, foreach=foreach)
    # u = [1, -1, 0]; u*g > 0 -> mask [1, 1, 0], mean 2/3 -> mask [1.5, 1.5, 0]; u = [1.5, -1.5, 0]
    assert p.detach().tolist() == pytest.approx([0.95 - 0.15, -1.9 + 0.15, 0.475], abs=1e-12)


def test_maximize_flips_the_gradient() -> None:
    p = param(1.0)
    run(p, [[0.3]], maximize=True)
    assert p.item() == pytest.approx(0.95 + 0.1, abs=1e-12)


def test_foreach_and_single_tensor_agree() -> None:
    torch.manual_seed(0)
    a = [torch.nn.Parameter(torch.randn(5, 3)), torch.nn.Parameter(torch.randn(7))]
    b = [torch.nn.Parameter(t.detach().clone()) for t in a]
    opt_a = Lion(a, lr=0.01, weight_decay=0.1, caution=True, foreach=False)
    opt_b = Lion(b, lr=0.01, weight_decay=0.1, caution=True, foreach=True)
    for _ in range(5):
        grads = [torch.randn_like(t) for t in a]
        for pa, pb, g in zip(a, b, grads, strict=True):
            pa.grad, pb.grad = g.clone(), g.clone()
        opt_a.step()
        opt_b.step()
    for pa, pb in zip(a, b, strict=True):
        assert torch.equal(pa, pb)


def test_complex_parameters_are_updated_as_real_pairs() -> None:
    p = torch.nn.Parameter(torch.tensor([1 + 2j], dtype=torch.complex128))
    opt = Lion([p], lr=0.1)
    p.grad = torch.tensor([0.5 - 0.5j], dtype=torch.complex128)
    opt.step()
    assert p.item() == pytest.approx(0.9 + 2.1j, abs=1e-12)


def test_parameters_without_grad_are_untouched_and_closure_returns_loss() -> None:
    p, q = param(1.0), param(2.0)
    opt = Lion([p, q], lr=0.1, weight_decay=0.5)
    p.grad = torch.tensor([1.0], dtype=torch.float64)
    assert opt.step(lambda: 3.0) == 3.0
    assert q.item() == 2.0
    assert "exp_avg" not in opt.state[q]


def test_sparse_gradients_are_rejected() -> None:
    p = param(1.0, 2.0)
    opt = Lion([p])
    p.grad = torch.tensor([1.0, 0.0], dtype=torch.float64).to_sparse()
    with pytest.raises(RuntimeError, match="sparse"):
        opt.step()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"lr": -1.0}, "lr"), ({"betas": (1.0, 0.9)}, "betas"), ({"weight_decay": -0.1}, "weight_decay")],
)
def test_invalid_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Lion([param(1.0)], **kwargs)  # type: ignore[arg-type]


def test_state_dict_round_trip() -> None:
    p = param(1.0, -2.0)
    opt = run(p, [[0.3, -0.1]])
    clone = param(*p.detach().tolist())
    other = Lion([clone], lr=0.1, betas=(0.9, 0.99), weight_decay=0.5)
    other.load_state_dict(opt.state_dict())
    for o, x in ((opt, p), (other, clone)):
        x.grad = torch.tensor([-0.2, -0.1], dtype=torch.float64)
        o.step()
    assert torch.equal(p, clone)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_default_foreach_path_matches_cpu() -> None:
    torch.manual_seed(0)
    cpu = [torch.nn.Parameter(torch.randn(64, 32)), torch.nn.Parameter(torch.randn(32))]
    gpu = [torch.nn.Parameter(t.detach().cuda()) for t in cpu]
    opt_cpu = Lion(cpu, lr=0.01, weight_decay=0.1, caution=True)
    # foreach=None picks the list kernels on CUDA
    opt_gpu = Lion(gpu, lr=0.01, weight_decay=0.1, caution=True)
    for _ in range(3):
        for pc, pg in zip(cpu, gpu, strict=True):
            pc.grad = torch.randn_like(pc)
            pg.grad = pc.grad.cuda()
        opt_cpu.step()
        opt_gpu.step()
    for pc, pg in zip(cpu, gpu, strict=True):
        torch.testing.assert_close(pg.cpu(), pc, rtol=1e-6, atol=1e-6)
