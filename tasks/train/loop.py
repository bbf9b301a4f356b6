"""One training loop for proxies, benchmarks and GPU runs: a GPT-2-style model (transformers, random init)
trained on sequences sampled per skill by the current mixture, with per-skill validation. No files, no Prefect.

A skill's data is a token stream (random windows are drawn: shards of a manifest) or fixed-length rows with
explicit targets (LEGO samples, where only the answer is scored). AdamW with linear warmup then cosine decay to
10% of the peak rate, gradient clipping, bf16 autocast and TF32 on CUDA, optional torch.compile. A mixing
policy (tasks.train.policies) sees every evaluation and sets the mixture at each round boundary. The state
(model, optimizer, step, every random generator, the weights, the policy, the metrics so far) round-trips
through `state_dict`, so a resumed run continues exactly as an uninterrupted one.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from schemas.config import PRESETS, TrainParams

IGNORE = -100  # target value that is not scored (torch's cross_entropy ignore_index)


@dataclass(frozen=True)
class SkillData:
    """One skill's examples. `train`: a 1-D token stream (windows of seq_len + 1 are drawn at random offsets) or
    (n, T + 1) rows drawn whole, with `train_targets` (n, T). `val`: (n_val, T + 1) validation sequences and
    `val_targets` (n_val, T): the next-token targets scored, IGNORE elsewhere."""

    train: np.ndarray
    val: np.ndarray
    val_targets: np.ndarray
    train_targets: np.ndarray | None = None

    @classmethod
    def from_stream(cls, tokens: np.ndarray, seq_len: int, eval_windows: int, val_fraction: float = 0.1) -> SkillData:
        """A skill from its token stream: the last share (at least one window) is validation, cut into
        `eval_windows` evenly spaced windows; every next token in them is scored."""
        train, val = split(tokens, seq_len, val_fraction)
        v = windows(val, np.linspace(0, len(val) - seq_len - 1, eval_windows).astype(int), seq_len)
        return cls(train=train, val=v, val_targets=v[:, 1:])

    def draw(self, rng: np.random.Generator, count: int, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
        """(inputs with their last target, targets): (count, T + 1) and (count, T) int64."""
        if self.train.ndim == 1:
            x = windows(self.train, rng.integers(0, len(self.train) - seq_len - 1, count), seq_len)
            return x, x[:, 1:]
        rows = rng.integers(0, len(self.train), count)
        return self.train[rows].astype(np.int64), self.train_targets[rows].astype(np.int64)


_BUILD = threading.Lock()  # proxy runs mapped on a thread pool build their models at the same time


def build_model(vocab_size: int, params: TrainParams) -> torch.nn.Module:
    """A randomly initialised GPT-2-style model of `params.preset`'s size, seeded by `params.seed`. Under a lock:
    the initialisation draws from torch's global generator, which concurrent builds would interleave (different
    weights for the same seed), and transformers' lazy first import fails on several threads at once."""
    with _BUILD:
        from transformers import GPT2Config, GPT2LMHeadModel

        torch.manual_seed(params.seed)
        drop = {"embd_pdrop": params.dropout, "attn_pdrop": params.dropout, "resid_pdrop": params.dropout}
        config = GPT2Config(vocab_size=vocab_size, n_positions=params.seq_len, bos_token_id=0, eos_token_id=0,
                            **drop, **PRESETS[params.preset])  # fmt: skip
        return GPT2LMHeadModel._from_config(config, attn_implementation="sdpa")


def lr_at(step: int, params: TrainParams) -> float:
    """Linear warmup to params.lr, then cosine decay to 10% of it at params.steps."""
    if step < params.warmup:
        return params.lr * (step + 1) / params.warmup
    progress = min(1.0, (step - params.warmup) / max(1, params.steps - params.warmup))
    return params.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def split(tokens: np.ndarray, seq_len: int, val_fraction: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) token streams of one skill: the last share (at least one window) is validation."""
    n_val = max(seq_len + 1, int(len(tokens) * val_fraction))
    if len(tokens) < n_val + seq_len + 1:
        raise ValueError(f"{len(tokens)} tokens are too few for training and validation windows of {seq_len + 1}")
    return tokens[:-n_val], tokens[-n_val:]


def windows(stream: np.ndarray, starts: np.ndarray, seq_len: int) -> np.ndarray:
    """(len(starts), seq_len + 1) int64 windows of a token stream."""
    return np.stack([np.asarray(stream[s : s + seq_len + 1], np.int64) for s in starts])


def flops_per_token(model: torch.nn.Module, seq_len: int) -> float:
    """Training FLOPs per token, nanoGPT's estimate for model FLOPs utilisation: 6 x parameters (position
    embeddings excluded; the token embeddings count, as the tied output layer) + 12 x layers x width x sequence
    (attention scores)."""
    cfg = model.config
    n = sum(p.numel() for p in model.parameters()) - model.transformer.wpe.weight.numel()
    return 6.0 * n + 12.0 * cfg.n_layer * cfg.n_embd * seq_len


def optimizer(model: torch.nn.Module, params: TrainParams, fused: bool = False) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices and embeddings only, not on biases and LayerNorm gains (Skill-It,
    nanoGPT); `fused` on CUDA."""
    weights = [p for p in model.parameters() if p.dim() >= 2]
    others = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": weights, "weight_decay": params.weight_decay}, {"params": others, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=params.lr, fused=fused or None)


class Trainer:
    """Trains `model` on per-skill data; `policy` (tasks.train.policies) sets the mixture of each batch."""

    def __init__(self, model: torch.nn.Module, data: list[SkillData], policy, params: TrainParams,
                 device: str = "cpu"):  # fmt: skip
        self.model, self.data, self.policy, self.params, self.device = model.to(device), data, policy, params, device
        self.weights = np.asarray(policy.initial, np.float64)
        self.step = 0
        self.rng = np.random.default_rng(params.seed)
        self.on_cuda = device.startswith("cuda")
        self.opt = optimizer(self.model, params, fused=self.on_cuda)
        self.metrics: list[dict] = []  # step, skill, val_loss, val_accuracy, weight
        if self.on_cuda:
            torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
        # compiled forward for speed; state_dict and evaluation-mode switches stay on the original module
        self.forward = torch.compile(self.model) if params.compile else self.model

    def _autocast(self):
        return torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.on_cuda)

    def _loss(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean loss over scored targets, logits) of inputs x (B, T + 1) and targets y (B, T)."""
        with self._autocast():
            logits = self.forward(input_ids=x[:, :-1]).logits
        loss = F.cross_entropy(logits.float().flatten(0, 1), y.flatten(), ignore_index=IGNORE)
        return loss, logits

    def batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """A batch of params.batch_size sequences, skills drawn by the current weights."""
        counts = self.rng.multinomial(self.params.batch_size, self.weights)
        parts = [d.draw(self.rng, c, self.params.seq_len) for d, c in zip(self.data, counts, strict=True) if c]
        x, y = (np.concatenate(p) for p in zip(*parts, strict=True))
        return torch.from_numpy(x).to(self.device), torch.from_numpy(y).to(self.device)

    def train_step(self) -> float:
        """One optimizer step on a fresh batch; the step's training loss."""
        self.model.train()
        x, y = self.batch()
        for group in self.opt.param_groups:
            group["lr"] = lr_at(self.step, self.params)
        loss, _ = self._loss(x, y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.params.grad_clip)
        self.opt.step()
        self.step += 1
        return float(loss.detach())

    @torch.no_grad()
    def validate(self) -> tuple[np.ndarray, np.ndarray]:
        """(loss, accuracy) per skill on its validation set: mean cross-entropy over the scored targets and the
        share of them the model's top prediction gets right. Not recorded."""
        self.model.eval()
        losses, accs = np.empty(len(self.data)), np.empty(len(self.data))
        for s, d in enumerate(self.data):
            x = torch.from_numpy(np.asarray(d.val, np.int64)).to(self.device)
            y = torch.from_numpy(np.asarray(d.val_targets, np.int64)).to(self.device)
            loss, logits = self._loss(x, y)
            scored = y != IGNORE
            losses[s] = float(loss)
            accs[s] = float((logits.argmax(-1)[scored] == y[scored]).float().mean())
        return losses, accs

    def val_losses(self) -> np.ndarray:
        return self.validate()[0]

    def evaluate(self) -> np.ndarray:
        """Per-skill validation losses, recorded in `metrics` with the current weights and shown to the policy."""
        losses, accs = self.validate()
        for s in range(len(self.data)):
            self.metrics.append({"step": self.step, "skill": s, "val_loss": float(losses[s]),
                                 "val_accuracy": float(accs[s]), "weight": float(self.weights[s])})  # fmt: skip
        self.policy.observe(self.step, losses)
        return losses

    def advance(self) -> None:
        """One training step, then the scheduled evaluation (every params.eval_every steps and at the end)."""
        self.train_step()
        if self.step % self.params.eval_every == 0 or self.step == self.params.steps:
            self.evaluate()

    def run(self, until: int) -> None:
        """Train up to step `until` (or a little past it when a policy's probe round crosses it). At each round
        boundary (every mixing.update_every steps, from step 0) the policy sets the weights; Aioli's probes
        train through `advance`, so they count towards the steps and keep the evaluation schedule."""
        if self.step == 0 and not self.metrics:
            self.evaluate()
        while self.step < min(until, self.params.steps):
            if self.step % self.params.mixing.update_every == 0:
                self.weights = np.asarray(self.policy.update(self), np.float64)
                if self.step >= min(until, self.params.steps):
                    break
            self.advance()

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "opt": self.opt.state_dict(), "step": self.step,
                "rng": self.rng.bit_generator.state, "torch_rng": torch.get_rng_state(),
                "cuda_rng": torch.cuda.get_rng_state_all() if self.on_cuda else None,
                "weights": self.weights.tolist(), "metrics": list(self.metrics),
                "policy": self.policy.state_dict()}  # fmt: skip

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        self.step, self.weights = state["step"], np.asarray(state["weights"], np.float64)
        self.rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        if self.on_cuda and state.get("cuda_rng") is not None:
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        self.metrics = list(state["metrics"])
        self.policy.load_state_dict(state["policy"])
