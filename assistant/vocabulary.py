"""One drug and condition vocabulary, shared by the router (dose and diagnosis requests) and the
output guard (no dose, no diagnosis in a reply), so a name one knows the other knows too."""

from __future__ import annotations

__all__ = ["CONDITIONS", "DRUGS", "MEDICINES", "alternatives"]


def alternatives(*groups: str) -> str:
    """Space-separated alternatives as one regex group; `_` stands for a space."""
    return "(?:" + "|".join(w.replace("_", " ") for g in groups for w in g.split()) + ")"


_NAMES = (
    "ibuprofen paracetamol acetaminophen tylenol naproxen aspirin diclofenac voltarol nurofen advil aleve",
    "motrin co-?codamol codeine tramadol gabapentin pregabalin lyrica amitriptyline diazepam valium",
    "cyclobenzaprine celecoxib duloxetine cymbalta prednisolone prednisone morphine oxycodone cbd",
)
_CLASSES = (
    "steroids? opioids? nsaids? anti-?inflammator\\w* muscle_relaxants? painkillers? pain_?killers?",
    "pain_?relief pain_meds?",
)
_GENERIC = "drugs? medications? medicines? meds pills? tablets?"

DRUGS = alternatives(*_NAMES, *_CLASSES)  # a named medicine or class: never with a dose in a reply
MEDICINES = alternatives(*_NAMES, *_CLASSES, _GENERIC)  # what a dose request can name
CONDITIONS = alternatives(
    "herniat\\w* slipped bulg\\w* prolaps\\w* disc disk sciatica piriformis si_joint sacroiliac facet",
    "stress_fracture fracture arthritis cauda_equina spondyl\\w* stenosis degenerat\\w* ankylosing",
    "muscle_strain pulled_muscle torn tear strain sprain kidney_stone cancer tumou?r infection",
    "si_joint_dysfunction sacroiliac_joint_dysfunction dysfunction",
)
