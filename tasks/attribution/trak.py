"""TRAK (Park et al. 2023) on language-model proxies, as DsDm uses it (../shared/ALGORITHMS.md section 3).

Pure: a model and token arrays in, tensors out; no files, no Prefect.

- Output function f(z): per sequence, the mean over its scored tokens of the log-odds margin
  log p / (1 - p) = logit_correct - logsumexp(other logits). Out-to-loss Q(z) = the mean of (1 - p).
- Gradients of f with respect to the last transformer block and the final LayerNorm only (ALGORITHMS.md
  3(f) "TRAK-lite"): the trunk below runs once per batch without gradients, and torch.func.vmap gives the
  per-example gradients of the small remainder. The tied embedding is held fixed.
- Projection: never a dense parameters x k matrix in memory. `Projector`: Gaussian with variance 1/k (the
  TRAK library's CPU choice), generated in blocks of parameter rows from (seed, block). `SparseProjector`: a
  sparse JL matrix with a few +-1 entries per parameter, much cheaper on CPU.
- Scores: tau = [mean_m phi_m(x)^T (Phi_m^T Phi_m + lambda I)^-1 Phi_m^T] * mean_m Q_m, per pool example and
  target. **Sign: higher = more beneficial.** A positive score means training on that pool example raises
  the target's margin, that is lowers its loss.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from torch.func import functional_call, grad, vmap

from tasks.train.loop import IGNORE


def margin_and_q(logits: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(f, Q) per sequence from logits (B, T, V) and targets (B, T), IGNORE marking unscored tokens:
    f = mean log-odds margin of the target token, Q = mean (1 - p) over the scored tokens."""
    scored = targets != IGNORE
    y = torch.where(scored, targets, 0)[..., None]
    correct = logits.gather(-1, y)[..., 0]
    others = logits.scatter(-1, y, float("-inf")).logsumexp(-1)
    margin = correct - others
    n = scored.sum(-1).clamp(min=1)
    q = 1 - torch.sigmoid(margin)  # p / (1 - p) = exp(margin)
    return (margin * scored).sum(-1) / n, (q * scored).sum(-1) / n


class LastBlockGrads:
    """Per-example gradients of `margin_and_q`'s f with respect to a GPT-2's last block and final LayerNorm."""

    def __init__(self, model: torch.nn.Module):
        # The block is called without a mask: SDPA then attends causally (is_causal). Eager attention would be
        # ~1.2x faster under vmap on CPU but attends to every position without an explicit mask; the gradient
        # test against autograd on the whole model catches that.
        self.model = model.eval()
        self.block, self.ln_f = model.transformer.h[-1], model.transformer.ln_f
        self.params = {f"block.{n}": p.detach() for n, p in self.block.named_parameters()} | {
            f"ln_f.{n}": p.detach() for n, p in self.ln_f.named_parameters()
        }
        self.n_params = sum(p.numel() for p in self.params.values())

    @torch.no_grad()
    def _trunk(self, x: torch.Tensor) -> torch.Tensor:
        """Hidden states entering the last block, (B, T, d)."""
        return self.model(input_ids=x, output_hidden_states=True).hidden_states[-2]

    def _head(self, params: dict, h: torch.Tensor) -> torch.Tensor:
        block = {k[6:]: v for k, v in params.items() if k.startswith("block.")}
        ln_f = {k[5:]: v for k, v in params.items() if k.startswith("ln_f.")}
        z = functional_call(self.block, block, (h,))
        z = z[0] if isinstance(z, tuple) else z
        return functional_call(self.ln_f, ln_f, (z,)) @ self.model.lm_head.weight.detach().T

    def _f(self, params: dict, h1: torch.Tensor, y1: torch.Tensor) -> torch.Tensor:
        return margin_and_q(self._head(params, h1[None]), y1[None])[0][0]

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(gradients (B, n_params), f (B,), Q (B,)) for inputs x (B, T) and targets y (B, T)."""
        h = self._trunk(x)
        with torch.no_grad():
            f, q = margin_and_q(self._head(self.params, h), y)
        with warnings.catch_warnings():  # known: no vmap batching rule for CPU SDPA (see __init__)
            warnings.filterwarnings("ignore", message="There is a performance drop", category=UserWarning)
            g = vmap(grad(self._f), in_dims=(None, 0, 0))(self.params, h, y)
        return torch.cat([g[k].flatten(1) for k in self.params], dim=1), f, q


class Projector:
    """x -> x P with P (n_params, dim) Gaussian of variance 1/dim, made block by block: rows
    [b * block_rows, (b + 1) * block_rows) come from a generator seeded by (seed, b), and no more than
    block_rows x dim entries exist at once. The same seed gives the same P whatever the batch."""

    def __init__(self, n_params: int, dim: int, seed: int = 0, block_rows: int | None = None):
        if n_params < 1 or dim < 1:
            raise ValueError(f"projection needs n_params >= 1 and dim >= 1, got {n_params} and {dim}")
        self.n_params, self.dim, self.seed = n_params, dim, seed
        self.block_rows = block_rows or max(1, 2**22 // dim)  # 16 MiB of float32 per block

    def block(self, b: int) -> torch.Tensor:
        start = b * self.block_rows
        rows = min(self.block_rows, self.n_params - start)
        gen = torch.Generator().manual_seed(int(np.random.SeedSequence([self.seed, b]).generate_state(1)[0]))
        return torch.randn(rows, self.dim, generator=gen) / self.dim**0.5

    def __call__(self, g: torch.Tensor) -> torch.Tensor:
        """(B, n_params) -> (B, dim), float32."""
        if g.shape[-1] != self.n_params:
            raise ValueError(f"gradients have {g.shape[-1]} entries, the projector {self.n_params}")
        g = g.to(torch.float32)
        out = torch.zeros(g.shape[0], self.dim)
        for b in range(-(-self.n_params // self.block_rows)):
            start = b * self.block_rows
            out += g[:, start : start + self.block_rows] @ self.block(b)
        return out


class SparseProjector:
    """x -> x S with S (n_params, dim) a sparse Johnson-Lindenstrauss matrix (Kane and Nelson): each parameter
    row has `nnz` entries +-1/sqrt(nnz) in random columns, seeded. It is held as n_params x nnz nonzeros, never
    dense, and a batch costs B x n_params x nnz multiply-adds instead of B x n_params x dim: on CPU the dense
    Gaussian `Projector` spends more time drawing its blocks than the gradients take."""

    def __init__(self, n_params: int, dim: int, seed: int = 0, nnz: int = 8):
        if n_params < 1 or dim < 1 or nnz < 1:
            raise ValueError(f"projection needs n_params, dim and nnz >= 1, got {n_params}, {dim}, {nnz}")
        self.n_params, self.dim, self.seed, self.nnz = n_params, dim, seed, nnz
        gen = torch.Generator().manual_seed(int(np.random.SeedSequence([seed, n_params, dim]).generate_state(1)[0]))
        rows = torch.arange(n_params).repeat_interleave(nnz)
        cols = torch.randint(0, dim, (n_params * nnz,), generator=gen)
        signs = (torch.randint(0, 2, (n_params * nnz,), generator=gen) * 2 - 1).float() / nnz**0.5
        coo = torch.sparse_coo_tensor(torch.stack([cols, rows]), signs, (dim, n_params), check_invariants=True)
        with warnings.catch_warnings():  # CSR is marked beta; its matmul is 10x the COO one here
            warnings.simplefilter("ignore", UserWarning)
            self.matrix = coo.coalesce().to_sparse_csr()

    def __call__(self, g: torch.Tensor) -> torch.Tensor:
        """(B, n_params) -> (B, dim), float32."""
        if g.shape[-1] != self.n_params:
            raise ValueError(f"gradients have {g.shape[-1]} entries, the projector {self.n_params}")
        return (self.matrix @ g.to(torch.float32).T).T.contiguous()


def featurize(grads: LastBlockGrads, projector: Projector | SparseProjector, x: np.ndarray, y: np.ndarray,
              chunk: int = 32, progress=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """(phi (N, k), f (N,), Q (N,)) of N sequences: x inputs (N, T), y targets (N, T) with IGNORE for unscored
    tokens; `chunk` sequences per vmap call; progress(done) after each chunk."""
    phis, fs, qs = [], [], []
    for start in range(0, len(x), chunk):
        xb = torch.as_tensor(np.asarray(x[start : start + chunk], np.int64))
        yb = torch.as_tensor(np.asarray(y[start : start + chunk], np.int64))
        g, f, q = grads(xb, yb)
        phis.append(projector(g).numpy())
        fs.append(f.numpy())
        qs.append(q.numpy())
        if progress:
            progress(min(len(x), start + chunk))
    return np.concatenate(phis), np.concatenate(fs), np.concatenate(qs)


def kernel_features(phi: np.ndarray, ridge: float = 1e-3) -> np.ndarray:
    """Phi (Phi^T Phi + lambda I)^-1, (N, k), with lambda = ridge x the mean diagonal of Phi^T Phi (0: none,
    which needs N >= k and a full-rank Phi). Float64, by a Cholesky solve."""
    phi = np.asarray(phi, np.float64)
    gram = phi.T @ phi
    lam = ridge * float(np.mean(np.diag(gram)))
    gram[np.diag_indices_from(gram)] += lam
    try:
        c = np.linalg.cholesky(gram)
    except np.linalg.LinAlgError as e:
        raise np.linalg.LinAlgError(
            f"Phi^T Phi + lambda I is singular ({phi.shape[0]} examples x {phi.shape[1]} dimensions, "
            f"lambda {lam:.3g}): raise the ridge or lower the projection dimension"
        ) from e
    # F = Phi K^-1, K = C C^T: solve K F^T = Phi^T
    return np.linalg.solve(c.T, np.linalg.solve(c, phi.T)).T


def scores(features: list[np.ndarray], target_phis: list[np.ndarray], qs: list[np.ndarray]) -> np.ndarray:
    """(N, n) TRAK scores over M models: (sum_m F_m G_m^T / M) * mean_m Q_m, F_m from kernel_features, G_m the
    targets' projected gradients (n, k) under the same model and projection. Higher = more beneficial."""
    if not (len(features) == len(target_phis) == len(qs)) or not features:
        raise ValueError(f"need the same number (>= 1) of models' features, targets and Q, got "
                         f"{len(features)}, {len(target_phis)}, {len(qs)}")  # fmt: skip
    s = sum(np.asarray(f, np.float64) @ np.asarray(g, np.float64).T for f, g in zip(features, target_phis, strict=True))
    return s / len(features) * np.mean(np.asarray(qs, np.float64), axis=0)[:, None]
