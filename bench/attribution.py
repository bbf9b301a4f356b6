"""TRAK featurisation speed: the project's (tasks/attribution/trak.py) against the `traker` library doing the
same work on the same model and sequences, and against the floor of one forward + backward per example.

    python bench/attribution.py [--n 256] [--seq-len 128] [--vocab 8192] [--dim 1024] [--chunk 16]

Every arm computes, per pool sequence, the gradient of the mean log-odds margin of its next tokens with respect
to the GPT-2's last block and final LayerNorm (the `tiny` preset, 2 x 128), projected to --dim:
  ours sparse     LastBlockGrads (trunk once without gradients, vmap over the last block) + SparseProjector
  ours gaussian   the same + the Gaussian block Projector (the TRAK library's CPU projection)
  traker          TRAKer.featurize with a margin ModelOutput, grad_wrt = the same tensors, BasicProjector
                  (normal), float32, CPU: it differentiates the whole model per example, then keeps grad_wrt
  floor           model forward + backward of the summed margin, batches of --chunk (no per-example gradients)
Then, as a check that the arms do the same work, each one's projected-gradient Gram matrix on the first 16
sequences against the exact gradients' (correlation, and the scale that maps one onto the other).
`traker` is not a project dependency: `pip install --no-deps traker==0.3.2` to include it (skipped otherwise).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=256, help="pool sequences")
    ap.add_argument("--seq-len", type=int, default=128)
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--dim", type=int, default=1024, help="projection dimension")
    ap.add_argument("--chunk", type=int, default=16, help="sequences per vmap call / batch")
    args = ap.parse_args()

    import warnings

    import numpy as np
    import torch

    from schemas.config import TrainParams
    from tasks.attribution import trak
    from tasks.train import loop

    warnings.filterwarnings("ignore", message="There is a performance drop")
    model = loop.build_model(args.vocab, TrainParams(preset="tiny", seq_len=args.seq_len))
    tokens = np.random.default_rng(0).integers(0, args.vocab, (args.n, args.seq_len + 1))
    x, y = tokens[:, :-1], tokens[:, 1:]
    grads = trak.LastBlockGrads(model)
    rate = {}

    def timed(name, fn):
        start = time.perf_counter()
        out = fn()
        rate[name] = args.n / (time.perf_counter() - start)
        print(f"  {name:14s} {rate[name]:8.1f} examples/s", flush=True)
        return out

    print(f"tiny GPT-2, {args.n} sequences x {args.seq_len} tokens, vocab {args.vocab}, gradients of "
          f"{grads.n_params:,} parameters projected to {args.dim}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    sparse = trak.SparseProjector(grads.n_params, args.dim)
    phi = {"ours sparse": timed("ours sparse", lambda: trak.featurize(grads, sparse, x, y, chunk=args.chunk))[0]}
    gauss = trak.Projector(grads.n_params, args.dim)
    phi["ours gaussian"] = timed("ours gaussian", lambda: trak.featurize(grads, gauss, x, y, chunk=args.chunk))[0]

    def floor():
        for s in range(0, args.n, args.chunk):
            model.zero_grad(set_to_none=True)
            xb, yb = torch.as_tensor(x[s : s + args.chunk]), torch.as_tensor(y[s : s + args.chunk])
            trak.margin_and_q(model(input_ids=xb).logits, yb)[0].sum().backward()

    timed("floor", floor)
    try:
        rate["traker"], phi["traker"] = traker_arm(model, grads, x, y, args)
    except ImportError:
        print("  traker         not installed (pip install --no-deps traker==0.3.2)")
    # same work? the projected gradients' Gram matrix against the exact one on the first 16 sequences
    g = grads(torch.as_tensor(x[:16]), torch.as_tensor(y[:16]))[0].double().numpy()
    exact = (g @ g.T).ravel()
    for name, f in phi.items():
        gram = (f[:16].astype(np.float64) @ f[:16].T.astype(np.float64)).ravel()
        scale = gram @ exact / (exact @ exact)
        print(f"  {name:14s} Gram vs exact gradients: correlation {np.corrcoef(gram, exact)[0, 1]:.4f}, "
              f"least-squares scale {scale:.3g}")  # fmt: skip
    if "traker" not in rate:
        return
    print(f"  ratio ours sparse / traker: {rate['ours sparse'] / rate['traker']:.2f}x; "
          f"ours gaussian / traker: {rate['ours gaussian'] / rate['traker']:.2f}x; "
          f"ours sparse / floor: {rate['ours sparse'] / rate['floor']:.2f}x")  # fmt: skip


def traker_arm(model, grads, x, y, args):
    """(examples/s, features (N, dim)) of traker's featurisation."""
    import numpy as np
    import torch
    from trak import TRAKer
    from trak.modelout_functions import AbstractModelOutput

    from tasks.attribution import trak as ours

    class Margin(AbstractModelOutput):
        def __init__(self):
            super().__init__()

        def get_output(self, model, weights, buffers, input_ids, targets):
            logits = torch.func.functional_call(model, (weights, buffers), args=(input_ids[None],)).logits
            return ours.margin_and_q(logits, targets[None])[0].sum()

        def get_out_to_loss_grad(self, model, weights, buffers, batch):
            input_ids, targets = batch
            logits = torch.func.functional_call(model, (weights, buffers), args=(input_ids,)).logits
            return ours.margin_and_q(logits, targets)[1][:, None]

    block = {f"transformer.h.{len(model.transformer.h) - 1}.{n}" for n, _ in model.transformer.h[-1].named_parameters()}
    wrt = sorted(block | {f"transformer.ln_f.{n}" for n, _ in model.transformer.ln_f.named_parameters()})
    model.config.return_dict = True
    with tempfile.TemporaryDirectory() as tmp:
        tr = TRAKer(model=model, task=Margin(), train_set_size=len(x), save_dir=tmp, device="cpu",
                    proj_dim=args.dim, use_half_precision=False, grad_wrt=wrt, projector_seed=0)  # fmt: skip
        tr.load_checkpoint(model.state_dict(), model_id=0)
        start = time.perf_counter()
        for s in range(0, len(x), args.chunk):
            batch = [torch.as_tensor(x[s : s + args.chunk]), torch.as_tensor(y[s : s + args.chunk])]
            tr.featurize(batch=batch, num_samples=len(batch[0]))
        rate = len(x) / (time.perf_counter() - start)
        features = np.array(tr.saver.current_store["grads"][: len(x)])
    print(f"  {'traker':14s} {rate:8.1f} examples/s (grad_wrt {grads.n_params:,} parameters)", flush=True)
    return rate, features


if __name__ == "__main__":
    main()
