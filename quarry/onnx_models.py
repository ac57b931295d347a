"""ONNX files of a local sentence-transformers model, made on this machine from its own weights, never downloaded.

`fused_onnx(path, model_id, cache)` exports the model's transformer once (torch.onnx.export) and fuses its
graph (onnxruntime's transformer optimizer) into `<cache>/<name>@<weights hash>/model.fp32.fused.onnx`; its
vectors are the torch model's (runtime auto checks cosine ≥ 0.99999 on probe passages before choosing it;
tests hold it for the bundled model), so it runs under the SAME model id and no cached vector changes.
`fp32_onnx` is the plain export beside it. `int8_onnx` quantises that file's weight matrices (dynamic, per channel) for the
benchmark; `choose_runtime` is the rule that picks the fastest runtime whose vectors agree.

Only mean-pooled models are exported (the pooling is done outside the graph, as OnnxEmbedder does).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

EXACT = 0.99999  # an fp32 export must reproduce the torch vectors to this cosine, or it is not used
AGREE = 0.999  # a faster runtime is chosen only when its vectors agree with fp32 torch this well
# bf16 products embed an index's passages under the fp32 model's id only this close to fp32 torch (measured
# 0.99998 at worst on 256 Ofsted passages; int8's 0.990 is far outside)
BF16_AGREE = 0.9999
PLAIN = "model.fp32.onnx"  # the plain export (the int8 file is quantised from it)
FUSED = "model.fp32.fused.onnx"  # what queries and index builds run on (fused_onnx)
FUSABLE = ("bert",)  # model types whose graphs onnxruntime's transformer optimizer fuses (MiniLM is a BERT)
EXPORT = 2  # bump when the file runtime auto measures changes: a runtime.json of another export is measured again
CPU_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8")

# Probe passages for the agreement check: made here, varied in length, in the corpus's register.
PROBES = [
    "How did Ofsted judge leaders in Dorset?",
    "Children in care are visited regularly and their plans are reviewed on time.",
    " ".join(["Social workers know the children they work with well, and managers oversee their practice."] * 12),
    " ".join(["The local authority has not yet ensured that care leavers receive timely pathway plans; "
              "some 16- and 17-year-olds who present as homeless are not offered an assessment."] * 6),
]


def cpu_flags(cpuinfo: str | None = None) -> list[str]:
    """Which of the SIMD flags that decide int8/fp32 speed this CPU reports (/proc/cpuinfo; [] elsewhere)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return []
    words: set[str] = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            words.update(line.split(":", 1)[1].split())
            break
    return [f for f in CPU_FLAGS if f in words]


def is_mean_pooled(path: Path) -> bool:
    """Whether a sentence-transformers folder is a transformer, mean pooling and (optionally) normalisation
    and nothing else (no Dense layer): what the ONNX path computes, pooling outside the graph."""
    try:
        pooling = json.loads((path / "1_Pooling" / "config.json").read_text())
        modules = json.loads((path / "modules.json").read_text())
    except (OSError, ValueError):
        return False
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        return False
    modes = {k: v for k, v in pooling.items() if k.startswith("pooling_mode")}
    return modes.get("pooling_mode_mean_tokens") is True and sum(bool(v) for v in modes.values()) == 1


def shape(path: Path) -> tuple[int, int]:
    """(vector width, word-pieces read) of a local model, from its config files."""
    dim = int(json.loads((path / "config.json").read_text())["hidden_size"])
    try:
        max_tokens = int(json.loads((path / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, ValueError, KeyError):
        max_tokens = 512
    return dim, max_tokens


def model_dir(cache: Path, model_id: str) -> Path:
    return Path(cache).expanduser() / model_id.replace("/", "_")


def fp32_onnx(path: Path, model_id: str, cache: Path) -> Path:
    """The model's plain fp32 ONNX export, made on first use (about 10 s and torch) and kept in `cache`:
    what `int8_onnx` quantises (the benchmark's int8 row)."""
    target = model_dir(cache, model_id) / PLAIN
    if not target.is_file():
        _export(path, target)
    return target


def fused_onnx(path: Path, model_id: str, cache: Path) -> Path:
    """The fp32 export with onnxruntime's transformer fusions (one Attention node per layer, SkipLayerNorm,
    BiasGelu, EmbedLayerNorm): the same arithmetic in fewer, larger kernels, ~1.2x the passages/s and ~1.4x
    the query speed of the plain export on the bundled model (eval/bench/NOTES.md). The fusions recognise
    the "eager" attention graph, so it is exported with that. A model type onnxruntime cannot fuse gets
    the plain export under this name. Runtime auto still checks its vectors against torch before using it."""
    target = model_dir(cache, model_id) / FUSED
    if target.is_file():
        return target
    config = json.loads((path / "config.json").read_text())
    tmp = target.with_name(f".{target.name}.{os.getpid()}.plain.tmp")
    _export(path, tmp, eager=True)
    out = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        if config.get("model_type") in FUSABLE:
            _fuse(tmp, out, config)
            os.replace(out, target)
    except Exception:  # an onnxruntime whose optimizer cannot fuse this graph: the plain export, same vectors
        pass
    finally:
        out.unlink(missing_ok=True)
    if not target.is_file():
        os.replace(tmp, target)
    tmp.unlink(missing_ok=True)
    return target


def _fuse(plain: Path, out: Path, config: dict[str, Any]) -> None:
    import logging

    from onnxruntime.transformers import optimizer

    logging.getLogger("onnxruntime.transformers").setLevel(logging.ERROR)
    fused = optimizer.optimize_model(str(plain), model_type=config["model_type"], opt_level=1,
                                     num_heads=int(config["num_attention_heads"]), hidden_size=int(config["hidden_size"]))
    fused.save_model_to_file(str(out))


def fused_ops(file: Path) -> dict[str, int]:
    """How many nodes of each fused kind an ONNX file holds (what `fused_onnx` made of the plain graph)."""
    import onnx

    graph = onnx.load(str(file), load_external_data=False).graph
    kinds = ("Attention", "SkipLayerNormalization", "BiasGelu", "EmbedLayerNormalization")
    return {k: sum(n.op_type == k for n in graph.node) for k in kinds}


def _export(path: Path, target: Path, eager: bool = False) -> None:
    """torch.onnx.export of the transformer (last hidden state; pooling is done outside the graph)."""
    import warnings

    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(path), **({"attn_implementation": "eager"} if eager else {})).eval()

    class Hidden(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=torch.zeros_like(input_ids)).last_hidden_state

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    ids = torch.ones(2, 16, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(Hidden(model), (ids, torch.ones_like(ids)), str(tmp), input_names=["input_ids", "attention_mask"],
                          output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes})
    os.replace(tmp, target)  # whole or absent: a crash never leaves half a file under the final name


def int8_onnx(fp32_file: Path) -> Path:
    """Dynamic int8 quantisation of the fp32 export's weight matrices (per output channel), beside it.

    Activations are quantised per tensor at run time (onnxruntime's DynamicQuantizeLinear), which is
    what limits its agreement with fp32 on this model (eval/bench/NOTES.md).
    """
    target = fp32_file.with_name("model.int8.onnx")
    if target.is_file():
        return target
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(fp32_file), load_external_data=False).graph
    weights = {i.name for i in graph.initializer}
    nodes = [n.name for n in graph.node if n.op_type == "MatMul" and any(x in weights for x in n.input)]
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    quantize_dynamic(str(fp32_file), str(tmp), weight_type=QuantType.QInt8, per_channel=True, reduce_range=False,
                     nodes_to_quantize=nodes, extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    os.replace(tmp, target)
    return target


def min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Smallest row-wise cosine between two stacks of vectors (1.0 for none)."""
    if len(a) == 0:
        return 1.0
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return float(np.sum(a * b, axis=1).min())


def has_bf16(flags: list[str]) -> bool:
    """Whether a CPU with these flags multiplies bfloat16 in hardware (else torch emulates it, slowly)."""
    return "avx512_bf16" in flags or "amx_bf16" in flags


def choose_runtime(measured: dict[str, dict[str, float]], agree: float = AGREE) -> str:
    """The fastest runtime whose vectors agree with the reference: measured = {name: {"rate", "min_cosine"}}."""
    ok = {name: m["rate"] for name, m in measured.items() if m["min_cosine"] >= agree}
    if not ok:
        raise ValueError("no runtime agrees with the reference")
    return max(ok, key=ok.get)


def read_choice(cache: Path, model_id: str, flags: list[str]) -> dict[str, Any] | None:
    """The runtime measured for this model on a CPU with these flags and this export, if it was recorded."""
    try:
        record = json.loads((model_dir(cache, model_id) / "runtime.json").read_text())
    except (OSError, ValueError):
        return None
    return record if record.get("cpu_flags") == flags and record.get("export") == EXPORT else None


def write_choice(cache: Path, model_id: str, record: dict[str, Any]) -> None:
    folder = model_dir(cache, model_id)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".runtime.json.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True))
    os.replace(tmp, folder / "runtime.json")
