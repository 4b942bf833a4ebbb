"""Which samples a selective output (today the PDF) shows, and in what order: `output.pdf.samples`.

Format-neutral so any output that shows a subset can use the same rule and the same words. The rules:

- `errors-first` (the default, and what a number alone means): the wrong predictions, then the right ones
  and the samples without a true label; each part round-robin over true labels. A reviewer reads the
  failures first, and every true label that occurs gets a sample early.
- `stratified`: every sample round-robin over true labels, right or wrong.
- `all`: every sample in report order.
- `ids`: exactly the listed samples, in the listed order.

Round-robin: groups are the model's labels in their order, then one group for samples without a true label
(None, or an empty multi-label set), so unlabelled samples are neither dropped nor mistaken for a label.
Each turn a group takes its next sample in report order that is not taken yet (a multi-label sample belongs
to each of its true labels and is taken once). Ties are always broken by report order, so the choice is
deterministic.

With a count N below the number of samples, the first N of that order are taken; when that leaves a true label
out although N is at least the number of true labels present (many wrong predictions of one label), the last
picks whose groups the other picks still cover give way to the first sample of each missing label. The
chosen samples keep the rule's order, so wrong predictions still come first. Samples without a true label
take their turn in the round-robin but are not forced in: the promise is about labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from reportgen.results import DocumentExplanation, ReportResults

# The words `output.pdf.samples` takes besides a number and a list of ids; the spec's choices list the same
# (a test keeps them equal: spec may not import report).
ORDER_RULES = ("errors-first", "stratified")
RULES = ("all", *ORDER_RULES, "ids")
DEFAULT_RULE = "errors-first"
NO_LABEL = -1  # the group key of samples without a true label


@dataclass(frozen=True)
class SampleChoice:
    """The chosen samples, as document indices in the order shown, and the rule that chose them."""

    rule: str  # one of RULES
    indices: tuple[int, ...]
    count: int | None  # the N asked for (None: every sample the rule orders, or the listed ids)
    total: int  # samples in the report
    wrong: int  # wrong predictions among the chosen
    labels: tuple[str, ...]  # true labels present among the chosen, in the model's order
    unlabelled: int = 0  # chosen samples without a true label

    def ids(self, results: "ReportResults") -> list[str]:
        return [results.documents[i].id for i in self.indices]

    def head(self) -> str:
        n = len(self.indices)
        return f"{n} of {self.total} samples" if n != self.total else f"all {n} samples"

    def reason(self) -> str:
        """Why these samples, in words: "the 10 wrong predictions first, then right ones in turn from ..."."""
        n = len(self.indices)
        wrong = f"the {self.wrong} wrong prediction{'s' if self.wrong != 1 else ''}"
        if self.rule == "ids":
            return "the ids listed in output.pdf.samples, in that order"
        if self.rule == "all" or not self.labels:
            return "in report order" + ("" if self.rule == "all" else " (no sample has a true label)")
        if self.rule == "stratified":
            return "taken in turn from each true label, in report order"
        if self.wrong == 0:
            return "no wrong prediction among them; taken in turn from each true label"
        if self.wrong == n:
            return f"{wrong}, in turn from each true label"
        rest = "right ones" + (" and unlabelled ones" if self.unlabelled else "")
        return f"{wrong} first, then {rest} in turn from each true label"

    def describe(self) -> str:
        """"12 of 41 samples: the 10 wrong predictions first, then right ones in turn from each true label"."""
        return f"{self.head()}: {self.reason()}"


def _groups(doc: "DocumentExplanation") -> tuple[int, ...]:
    return tuple(sorted(set(doc.true_labels))) if doc.true_labels else (NO_LABEL,)


def round_robin(docs: Sequence["DocumentExplanation"], indices: Sequence[int], n_labels: int) -> list[int]:
    """`indices` reordered: each label in turn (the model's order, then NO_LABEL) takes its next sample."""
    queues: dict[int, list[int]] = {g: [] for g in [*range(n_labels), NO_LABEL]}
    for i in indices:  # report order within a group
        for g in _groups(docs[i]):
            queues.setdefault(g, []).append(i)
    order: list[int] = []
    taken: set[int] = set()
    heads = {g: 0 for g in queues}
    while len(order) < len(indices):
        for g, queue in queues.items():
            while heads[g] < len(queue) and queue[heads[g]] in taken:
                heads[g] += 1
            if heads[g] < len(queue):
                order.append(queue[heads[g]])
                taken.add(queue[heads[g]])
    return order


def rule_order(results: "ReportResults", rule: str) -> list[int]:
    """Every document index in the order `rule` shows them."""
    docs = results.documents
    everything = range(len(docs))
    n_labels = len(results.model.labels)
    if rule == "all":
        return list(everything)
    if rule == "stratified":
        return round_robin(docs, everything, n_labels)
    if rule == "errors-first":
        wrong = [i for i in everything if docs[i].correct is False]
        rest = [i for i in everything if docs[i].correct is not False]
        return round_robin(docs, wrong, n_labels) + round_robin(docs, rest, n_labels)
    raise ValueError(f"unknown sample rule {rule!r}; expected one of {', '.join(RULES[:-1])}")


def _cover(docs: Sequence["DocumentExplanation"], order: list[int], count: int) -> list[int]:
    """The first `count` of `order`, with every true label present when `count` allows (see the module's doc)."""
    position = {i: k for k, i in enumerate(order)}
    chosen = order[:count]
    present = {g for i in order for g in _groups(docs[i])} - {NO_LABEL}  # a promise about labels only
    if count < len(present):
        return chosen
    while True:
        covered = {g for i in chosen for g in _groups(docs[i])}
        missing = [g for g in sorted(present) if g not in covered]
        if not missing:
            return chosen
        taken = set(chosen)
        newcomer = next(i for i in order if missing[0] in _groups(docs[i]) and i not in taken)
        # The last pick whose labels other picks also cover can go without losing a label.
        for i in reversed(chosen):
            others = {g for j in chosen if j != i for g in _groups(docs[j])}
            if set(_groups(docs[i])) - {NO_LABEL} <= others:
                chosen.remove(i)
                break
        else:  # every pick is a label's only one: nothing can give way (a multi-label corner)
            return chosen
        chosen.append(newcomer)
        chosen.sort(key=position.__getitem__)


def choose_samples(results: "ReportResults", rule: str = DEFAULT_RULE, count: int | None = None,
                   ids: Sequence[str] | None = None) -> SampleChoice:
    """The samples `rule` chooses (at most `count`), or exactly `ids` in their order (`rule` = "ids").

    Raises KeyError naming the ids that are not in the report.
    """
    docs = results.documents
    if ids is not None:
        position = {doc.id: i for i, doc in enumerate(docs)}
        missing = [doc_id for doc_id in ids if doc_id not in position]
        if missing:
            raise KeyError(missing)
        rule, indices = "ids", [position[doc_id] for doc_id in ids]
    else:
        indices = rule_order(results, rule)
        if count is not None and count < len(indices):
            indices = indices[:count] if rule == "all" else _cover(docs, indices, count)
    labels = results.model.labels
    present = sorted({g for i in indices for g in _groups(docs[i]) if g != NO_LABEL})
    return SampleChoice(rule, tuple(indices), count, len(docs), sum(1 for i in indices if docs[i].correct is False),
                        tuple(labels[g] for g in present if 0 <= g < len(labels)),
                        sum(1 for i in indices if not docs[i].true_labels))
