"""One training loop for proxies and GPU runs: a GPT-2-style model (transformers, random init) trained on
sequences sampled per skill by the current mixture, with per-skill validation loss. No files, no Prefect.

Presets: `tiny` (a few million parameters; CPU and tests) and `125m` (GPT-2 small; GPU). AdamW with linear
warmup then cosine decay to 10% of the peak rate, gradient clipping, bf16 autocast on CUDA. The state
(model, optimizer, step, every random generator, the policy's weights, the metrics so far) round-trips
through `state_dict`, so a resumed run continues exactly as an uninterrupted one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

PRESETS = {
    "tiny": {"n_layer": 2, "n_embd": 128, "n_head": 4},
    "125m": {"n_layer": 12, "n_embd": 768, "n_head": 12},
}


@dataclass(frozen=True)
class TrainConfig:
    preset: str = "tiny"
    steps: int = 200
    batch_size: int = 8
    seq_len: int = 128
    lr: float = 1e-3
    warmup: int = 20
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    eval_every: int = 50
    eval_windows: int = 8  # validation windows per skill
    seed: int = 0


def build_model(vocab_size: int, cfg: TrainConfig) -> torch.nn.Module:
    from transformers import GPT2Config, GPT2LMHeadModel

    if cfg.preset not in PRESETS:
        raise ValueError(f"preset must be one of {sorted(PRESETS)}, got {cfg.preset!r}")
    torch.manual_seed(cfg.seed)
    config = GPT2Config(vocab_size=vocab_size, n_positions=cfg.seq_len, loss_type="ForCausalLM",
                        **PRESETS[cfg.preset])  # fmt: skip
    return GPT2LMHeadModel(config)


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Linear warmup to cfg.lr, then cosine decay to 10% of it at cfg.steps."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = min(1.0, (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup))
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def split(tokens: np.ndarray, seq_len: int, val_fraction: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) token streams of one skill: the last share (at least one window) is validation."""
    n_val = max(seq_len + 1, int(len(tokens) * val_fraction))
    if len(tokens) < n_val + seq_len + 1:
        raise ValueError(f"{len(tokens)} tokens are too few for training and validation windows of {seq_len + 1}")
    return tokens[:-n_val], tokens[-n_val:]


def windows(stream: np.ndarray, starts: np.ndarray, seq_len: int) -> np.ndarray:
    return np.stack([np.asarray(stream[s : s + seq_len + 1], np.int64) for s in starts])


class Trainer:
    """Trains `model` on per-skill token streams; `weights` (a probability vector) decides each batch's mix."""

    def __init__(self, model: torch.nn.Module, train: list[np.ndarray], val: list[np.ndarray], weights: np.ndarray,
                 cfg: TrainConfig, device: str = "cpu"):  # fmt: skip
        self.model, self.train, self.val, self.cfg, self.device = model.to(device), train, val, cfg, device
        self.weights = np.asarray(weights, np.float64)
        self.step = 0
        self.rng = np.random.default_rng(cfg.seed)
        self.opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.metrics: list[dict] = []  # step, skill, val_loss, weight
        self._val = [windows(v, np.linspace(0, len(v) - cfg.seq_len - 1, cfg.eval_windows).astype(int), cfg.seq_len)
                     for v in val]  # fmt: skip

    def _autocast(self):
        on_cuda = self.device.startswith("cuda")
        return torch.autocast("cuda", dtype=torch.bfloat16, enabled=on_cuda)

    def batch(self) -> torch.Tensor:
        counts = self.rng.multinomial(self.cfg.batch_size, self.weights)
        rows = [windows(self.train[s], self.rng.integers(0, len(self.train[s]) - self.cfg.seq_len - 1, c),
                        self.cfg.seq_len) for s, c in enumerate(counts) if c]  # fmt: skip
        return torch.from_numpy(np.concatenate(rows)).to(self.device)

    def train_step(self) -> float:
        self.model.train()
        x = self.batch()
        for group in self.opt.param_groups:
            group["lr"] = lr_at(self.step, self.cfg)
        with self._autocast():
            loss = self.model(x[:, :-1], labels=x[:, :-1]).loss
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.grad_clip)
        self.opt.step()
        self.step += 1
        return float(loss.detach())

    @torch.no_grad()
    def val_losses(self) -> np.ndarray:
        """Mean validation loss of each skill (not recorded)."""
        self.model.eval()
        out = np.empty(len(self._val))
        for s, w in enumerate(self._val):
            x = torch.from_numpy(w).to(self.device)
            with self._autocast():
                out[s] = float(self.model(x[:, :-1], labels=x[:, :-1]).loss)
        return out

    def evaluate(self) -> np.ndarray:
        """Mean validation loss of each skill, recorded in `metrics` with the current weights."""
        out = self.val_losses()
        for s, loss in enumerate(out):
            self.metrics.append({"step": self.step, "skill": s, "val_loss": loss, "weight": float(self.weights[s])})
        return out

    def run(self, until: int, policy=None) -> None:
        """Train up to step `until`, evaluating every cfg.eval_every steps (and asking `policy` for new weights)."""
        while self.step < until:
            self.train_step()
            if self.step % self.cfg.eval_every == 0 or self.step == self.cfg.steps:
                losses = self.evaluate()
                if policy is not None and hasattr(policy, "learn") and self.step < self.cfg.steps:
                    self.weights = policy.learn(self, self.weights)  # Aioli: probe rounds (real training)
                elif policy is not None:
                    self.weights = policy.update(self.step, losses, self.weights)

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "opt": self.opt.state_dict(), "step": self.step,
                "rng": self.rng.bit_generator.state, "torch_rng": torch.get_rng_state(),
                "weights": self.weights.tolist(), "metrics": list(self.metrics)}  # fmt: skip

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        self.step, self.weights = state["step"], np.asarray(state["weights"], np.float64)
        self.rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        self.metrics = list(state["metrics"])
