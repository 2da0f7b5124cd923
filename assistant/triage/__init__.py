"""Red-flag triage: rules as data (`knowledge/red_flags/`), run first on every turn, no LLM.

engine = TriageEngine.load(settings.knowledge_dir / "red_flags", embeddings)
assessment = engine.assess(message, state, vector)   # state: the session's TriageState
"""

from assistant.triage.engine import TriageEngine
from assistant.triage.models import Assessment, TriageState

__all__ = ["Assessment", "TriageEngine", "TriageState"]
