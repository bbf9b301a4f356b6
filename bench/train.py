"""Training throughput of the project's loop against a bare transformers loop, same model, same run; and model
FLOPs utilisation on a GPU.

    python bench/train.py --manifest runs/demo [--preset tiny] [--steps 50] [--batch 8] [--seq-len 128]
    python bench/train.py --manifest runs/demo --preset 125m --device cuda --batch 16 --seq-len 1024 \
        --steps 200 --compile --peak-tflops 989

Both loops train a fresh `--preset` GPT-2 on the manifest's shards with AdamW, gradient clipping and (on CUDA)
bf16 autocast; each is timed over `--steps` steps after `--warmup` untimed ones (compilation, allocator), in `--repeats`
alternating blocks whose median is kept:
  skillmix loop   tasks.train.loop.Trainer.train_step: batches drawn per skill by the mixture from the
                  memory-mapped shards, targets, loss
  raw loop        model(input_ids, labels=...) on one batch made beforehand, loss.backward, clip, AdamW step
Prints tokens/s of each and their ratio; with --peak-tflops, MFU = (6N + 12 L d T) FLOPs per token x tokens/s /
peak (nanoGPT's estimate, tasks.train.loop.flops_per_token; H100/H200 SXM dense bf16 peak: 989 TFLOP/s).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def timed(step, n: int, warmup: int, device: str) -> float:
    """Seconds for `n` calls of `step` after `warmup` untimed ones."""
    for _ in range(warmup):
        step()
    _sync(device)
    start = time.perf_counter()
    for _ in range(n):
        step()
    _sync(device)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--manifest", required=True, help="a manifest.json or a run directory")
    ap.add_argument("--preset", default="tiny")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3, help="alternating timed blocks per loop; the median is kept")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq-len", type=int, default=128)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--peak-tflops", type=float, default=None, help="the device's dense bf16 peak, for MFU")
    args = ap.parse_args()

    import numpy as np
    import torch

    from schemas.config import TrainParams
    from tasks.common import catalog
    from tasks.train import loop, policies, session

    params = TrainParams(preset=args.preset, steps=(args.steps + args.warmup) * args.repeats, batch_size=args.batch,
                         seq_len=args.seq_len, compile=args.compile)  # fmt: skip
    manifest = catalog.manifest_of(args.manifest)
    m, data = session.skill_data(manifest, params)
    vocab = m.tokenizer.vocab_size
    weights = np.array([k.weight for k in m.skills])
    ours = loop.Trainer(loop.build_model(vocab, params), data, policies.Static(weights), params, args.device)

    model = loop.build_model(vocab, params).to(args.device)
    fwd = torch.compile(model) if args.compile else model
    opt = loop.optimizer(model, params, fused=args.device.startswith("cuda"))
    x, _ = ours.batch()
    x = x[:, :-1].contiguous()

    def raw_step() -> None:
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=args.device.startswith("cuda")):
            loss = fwd(input_ids=x, labels=x).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), params.grad_clip)
        opt.step()

    # alternate the two loops so that neither gets the warmer process (allocator, caches, clocks)
    t_ours, t_raw = (float(np.median(t)) for t in zip(*[(timed(ours.train_step, args.steps, args.warmup, args.device),
                                                          timed(raw_step, args.steps, args.warmup, args.device))
                                                         for _ in range(args.repeats)], strict=True))  # fmt: skip
    tokens = args.steps * args.batch * args.seq_len
    n = sum(p.numel() for p in model.parameters())
    print(f"{args.preset} ({n / 1e6:.1f}M parameters), batch {args.batch} x {args.seq_len}, {args.steps} timed steps "
          f"on {args.device}{' (compiled)' if args.compile else ''}, torch {torch.__version__}")  # fmt: skip
    print(f"  skillmix loop: {tokens / t_ours:,.0f} tokens/s ({args.steps / t_ours:.2f} steps/s)")
    print(f"  raw loop:      {tokens / t_raw:,.0f} tokens/s ({args.steps / t_raw:.2f} steps/s)")
    print(f"  ratio skillmix / raw: {t_raw / t_ours:.2f}x")
    if args.peak_tflops:
        flops = loop.flops_per_token(model, args.seq_len)
        for name, t in (("skillmix", t_ours), ("raw", t_raw)):
            print(f"  MFU {name}: {flops * tokens / t / (args.peak_tflops * 1e12):.1%} "
                  f"({flops * tokens / t / 1e12:.1f} TFLOP/s of {args.peak_tflops:g})")  # fmt: skip


if __name__ == "__main__":
    main()
