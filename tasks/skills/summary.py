"""The skills stage's summary, skills.json entries, the Prefect markdown and the report figures.

Pure: values in, models / strings / PNG bytes out.
"""

from __future__ import annotations

import numpy as np

from schemas.outputs import SkillEntry, SkillsSummary
from tasks.common import plots


def skill_entries(names: list[str], terms: dict[int, list[str]], sizes: np.ndarray, tokens: np.ndarray,
                  examples: dict[int, list[dict]], centroids: np.ndarray | None) -> list[SkillEntry]:  # fmt: skip
    """One skills.json entry per skill: id, readable label, distinctive terms, size, share, examples."""
    total = max(int(sizes.sum()), 1)
    out = []
    for i, name in enumerate(names):
        entry = {"id": i, "label": name, "terms": terms.get(i, []), "documents": int(sizes[i]),
                 "share": round(int(sizes[i]) / total, 6), "word_pieces": int(tokens[i]),
                 "examples": examples.get(i, [])}  # fmt: skip
        if centroids is not None:
            entry["centroid"] = [round(float(v), 6) for v in centroids[i]]
        out.append(SkillEntry.model_validate(entry))
    return out


def label(terms: list[str], fallback: str) -> str:
    return ", ".join(terms[:4]) or fallback


def markdown(s: SkillsSummary, skills: list[SkillEntry]) -> str:
    """The Prefect artifact: counts, agreement with the label field, and one row per skill."""
    how = f"{s.fine_k} fine clusters merged" if s.fine_k else s.method
    lines = [f"# Skills {s.fingerprint} of `{s.run}`", "",
             f"{s.documents_in:,} kept documents -> {len(skills)} skills ({how}); "
             f"embeddings: {s.embedded:,} new, {s.reused:,} reused; "
             f"{s.truncated_share:.1%} truncated at {s.max_seq_length} word pieces."]  # fmt: skip
    if s.semdedup.eps is not None:
        lines.append(f"SemDeDup (cosine >= {1 - s.semdedup.eps:.3f}): {s.semdedup.dropped:,} dropped.")
    if a := s.agreement:
        ari = f", ARI {a.ari:.3f}" if a.ari is not None else ""
        lines.append(f"Against `{a.field}`: purity {a.purity:.3f}, NMI {a.nmi:.3f}{ari}.")
    lines += ["", "| skill | label | documents | share | example |", "|---:|---|---:|---:|---|"]
    for k in skills:
        ex = k.examples[0].text[:80].replace("|", "\\|").replace("\n", " ") if k.examples else ""
        lines.append(f"| {k.id} | {k.label} | {k.documents:,} | {k.share:.1%} | {ex} |")
    return "\n".join(lines) + "\n"


def map_figure(xy: np.ndarray, skills: np.ndarray, names: list[str], title: str) -> bytes:
    """PNG: documents on a 2-D map of their embeddings, coloured by skill, each skill's id at its middle."""
    plt = plots.pyplot()
    fig, ax = plt.subplots(figsize=(10, 8))
    cmap = plt.get_cmap("tab20")
    colors = [cmap(j) for j in (*range(0, 20, 2), *range(1, 20, 2))]  # strong shades first, pairs apart
    for i, name in enumerate(names):
        pts = xy[skills == i]
        if len(pts):
            ax.scatter(pts[:, 0], pts[:, 1], s=6, alpha=0.7, color=colors[i % 20], label=f"{i}: {name}"[:40])
            mx, my = np.median(pts, axis=0)
            ax.annotate(str(i), (mx, my), fontsize=11, weight="bold", ha="center", va="center")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
    if len(names) <= 24:
        ax.legend(fontsize=7, markerscale=2, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return plots.png(fig)


def sizes_figure(skills: list[SkillEntry]) -> bytes:
    """PNG: documents per skill, labelled by the skill's terms."""
    plt = plots.pyplot()
    fig, ax = plt.subplots(figsize=(10, 0.35 * len(skills) + 1.5))
    names = [f"{k.id}: {k.label}"[:48] for k in skills][::-1]
    ax.barh(names, [k.documents for k in skills][::-1], color="#4c72b0")
    ax.set_xlabel("documents")
    ax.set_title(f"{sum(k.documents for k in skills):,} documents in {len(skills)} skills")
    return plots.png(fig)


def agreement_figure(table: dict[str, dict[str, int]], field: str, purity: float, nmi: float) -> bytes:
    """PNG: heatmap of each skill's documents by known label (row shares), with purity and NMI."""
    plt = plots.pyplot()
    skills = sorted(table, key=int)  # JSON keys are strings: "10" must not sort before "2"
    labels = sorted({lab for row in table.values() for lab in row})
    counts = np.array([[table[s].get(lab, 0) for lab in labels] for s in skills], float)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(1.2 * len(labels) + 3, 0.35 * len(skills) + 1.5))
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(skills)), [f"skill {s}" for s in skills])
    for i in range(len(skills)):
        for j in range(len(labels)):
            if counts[i, j]:
                ax.text(j, i, f"{int(counts[i, j])}", ha="center", va="center", fontsize=7,
                        color="white" if shares[i, j] > 0.6 else "black")  # fmt: skip
    ax.set_title(f"skills against {field}: purity {purity:.3f}, NMI {nmi:.3f}")
    return plots.png(fig)


def tree_figure(tree: np.ndarray, fine: list, names: list[str]) -> bytes:
    """PNG: the merge tree of the fine clusters (leaves sized by documents), coloured by the skill each was
    merged into, with the cut that made the skills."""
    from scipy.cluster.hierarchy import dendrogram

    plt = plots.pyplot()
    k = len(names)
    m = len(fine)
    cmap = plt.get_cmap("tab20")
    colors = [cmap(j) for j in (*range(0, 20, 2), *range(1, 20, 2))]
    skill_of = [f.skill for f in fine]
    hex_of = [_hex(colors[s % 20]) for s in range(k)]

    def link_color(node: int) -> str:  # a merge inside one skill takes its colour; above the cut, grey
        leaves = _leaves(tree, m, node)
        own = {skill_of[i] for i in leaves}
        return hex_of[own.pop()] if len(own) == 1 else "#999999"

    fig, ax = plt.subplots(figsize=(12, 6))
    p = 80 if m > 80 else m
    drawn = dendrogram(tree, ax=ax, truncate_mode="lastp" if m > 80 else None, p=p, link_color_func=link_color,
                       labels=[f"{fine[i].documents}" for i in range(m)] if m <= 80 else None,
                       leaf_font_size=7, no_labels=m > 80)  # fmt: skip
    if m <= 80:  # each leaf's size in its skill's colour (a skill of one fine cluster has no link to colour)
        for tick, leaf in zip(ax.get_xticklabels(), drawn["leaves"], strict=True):
            tick.set_color(hex_of[skill_of[leaf]])
        ax.set_xlabel("fine clusters (documents in each)")
    else:
        ax.set_xlabel(f"the last {p} merges' subtrees")
    if m - k - 1 >= 0 and k >= 2:
        ax.axhline((tree[m - k - 1, 2] + tree[m - k, 2]) / 2, color="black", ls="--", lw=0.8)
    handles = [plt.Line2D([], [], color=hex_of[i], lw=3, label=f"{i}: {n}"[:40]) for i, n in enumerate(names)]
    ax.legend(handles=handles, fontsize=7, loc="upper right")
    ax.set_ylabel("Ward merge height")
    ax.set_title(f"{m} fine clusters merged into {k} skills (dashed: the cut)")
    return plots.png(fig)


def _hex(rgba: tuple) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(round(255 * v) for v in rgba[:3]))


def _leaves(tree: np.ndarray, m: int, node: int) -> list[int]:
    """Fine clusters under linkage node `node` (a leaf id < m is itself)."""
    stack, out = [node], []
    while stack:
        j = stack.pop()
        if j < m:
            out.append(j)
        else:
            a, b = tree[j - m, :2]
            stack += [int(a), int(b)]
    return out


def build(p, embed, params, refs: list[dict], skills: list[SkillEntry], rows_written: int, dedup_kept: int,
          k_scores: dict[int, float], fine_k: int | None, semdedup_dropped: int, truncated: float, max_seq_length: int,
          agreement: dict | None, seconds: float, versions: dict) -> SkillsSummary:  # fmt: skip
    """The stage's summary (`refs`: what each embedding task did in this run; `rows_written`: rows of the skills
    attribute partitions; `dedup_kept`: what dedup kept, which must be all of them)."""
    n = dedup_kept
    reused = sum(m.get("reused", 0) for m in refs)
    return SkillsSummary.model_validate({
        "run": p.run, "fingerprint": p.fingerprint, "method": "group_by" if params.group_by else params.method,
        "params": params, "embed": embed, "model_id": p.model_id, "embed_fingerprint": p.embed_fingerprint,
        "documents_in": n, "embedded": n - reused, "reused": reused,
        "max_seq_length": max_seq_length, "truncated_share": round(truncated, 6), "k": len(skills),
        "k_silhouette": {str(k): round(v, 6) for k, v in k_scores.items()} if fine_k is None else {},
        "k_gap": {str(k): round(v, 6) for k, v in k_scores.items()} if fine_k is not None else {},
        "fine_k": fine_k, "sizes": [k.documents for k in skills],
        "semdedup": {"eps": params.semdedup_eps, "dropped": semdedup_dropped, "kept": n - semdedup_dropped},
        "counts_add_up": n == rows_written == sum(k.documents for k in skills) and 0 <= semdedup_dropped <= n,
        "agreement": agreement, "seconds": round(seconds, 2), "versions": versions,
        "attributes": p.out, "embeddings": p.embeddings,
    })  # fmt: skip
